/** Operator API routes of the mailbox lifecycle: the plan ahead, and a sweep on demand (or its dry run). */
import type { Router } from '../../core/http-router.js';
import { HygieError } from '../../core/errors.js';
import type { LifecycleEngine } from '../lifecycle/index.js';
import { optionalBoolean } from './fields.js';
import type { ApiHandler } from './server.js';

export function addLifecycleRoutes(router: Router<ApiHandler>, services: { lifecycle: LifecycleEngine }): void {
  router.add('GET', '/api/v1/lifecycle/plan', async ({ query }) => {
    const days = query.get('days');
    if (days !== null && !/^\d+$/.test(days)) throw new HygieError('INVALID_INPUT', 'parameter "days" must be a whole number');
    return { body: await services.lifecycle.plan({ horizonDays: days === null ? 30 : Number(days) }) };
  });
  router.add('POST', '/api/v1/lifecycle/sweep', async ({ body }) => ({
    body: await services.lifecycle.sweep({ dryRun: optionalBoolean(body, 'dryRun') ?? false }),
  }));
}
