/** The directory's routes of the operator API. */
import type { Router } from '../../core/http-router.js';
import type { LifecycleEngine } from '../lifecycle/index.js';
import type { DirectorySearch } from '../search/index.js';
import { addLifecycleRoutes } from './lifecycle-routes.js';
import { addMailboxRoutes, type MailboxApiServices } from './mailbox-routes.js';
import { addSearchRoutes } from './search-routes.js';
import type { ApiHandler } from './server.js';

export type DirectoryApiServices = MailboxApiServices & { search: DirectorySearch; lifecycle: LifecycleEngine };

export function addDirectoryRoutes(router: Router<ApiHandler>, services: DirectoryApiServices): void {
  addMailboxRoutes(router, services);
  addSearchRoutes(router, services);
  addLifecycleRoutes(router, services);
}
