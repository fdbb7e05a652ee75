/** The directory's routes of the operator API. */
import type { Router } from '../../core/http-router.js';
import { addMailboxRoutes, type MailboxApiServices } from './mailbox-routes.js';
import type { ApiHandler } from './server.js';

export type DirectoryApiServices = MailboxApiServices;

export function addDirectoryRoutes(router: Router<ApiHandler>, services: DirectoryApiServices): void {
  addMailboxRoutes(router, services);
}
