/** Every route of the operator API, from the domain services (the composition root passes them). */
import { Router } from '../../core/http-router.js';
import { addMailboxRoutes, type MailboxApiServices } from './mailbox-routes.js';
import type { ApiHandler } from './server.js';

export type OperatorApiServices = MailboxApiServices;

export function operatorApiRoutes(services: OperatorApiServices): Router<ApiHandler> {
  const router = new Router<ApiHandler>();
  addMailboxRoutes(router, services);
  return router;
}
