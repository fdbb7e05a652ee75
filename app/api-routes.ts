/** Every route of the operator API, each module adding its own from the operator context. */
import { Router } from '../core/http-router.js';
import { addDirectoryRoutes } from '../directory/api/routes.js';
import type { ApiHandler } from '../directory/api/server.js';
import { addGatewayRoutes } from '../gateway/api/gateway-routes.js';
import type { OperatorContext } from './context.js';

export function operatorApiRoutes(context: OperatorContext): Router<ApiHandler> {
  const router = new Router<ApiHandler>();
  addDirectoryRoutes(router, context);
  addGatewayRoutes(router, context);
  return router;
}
