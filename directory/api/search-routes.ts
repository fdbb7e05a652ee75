/** Operator API route for directory search (operators see hidden entries with `hidden=true`). */
import type { Router } from '../../core/http-router.js';
import { HygieError } from '../../core/errors.js';
import type { DirectorySearch } from '../search/index.js';
import type { ApiHandler } from './server.js';

const TEXT_PARAMETERS = ['text', 'profession', 'specialty', 'city', 'postalCode', 'department', 'structure', 'near'] as const;

export function addSearchRoutes(router: Router<ApiHandler>, services: { search: DirectorySearch }): void {
  router.add('GET', '/api/v1/directory/search', async ({ query }) => {
    const criteria: Record<string, string> = {};
    for (const name of TEXT_PARAMETERS) {
      const value = query.get(name);
      if (value) criteria[name] = value;
    }
    const number = (name: string): number | undefined => {
      const value = query.get(name);
      if (value === null) return undefined;
      if (!/^\d+$/.test(value)) throw new HygieError('INVALID_INPUT', `parameter "${name}" must be a whole number`);
      return Number(value);
    };
    return {
      body: await services.search.search(criteria, {
        page: number('page'), pageSize: number('pageSize'), includeHidden: query.get('hidden') === 'true',
        includeUnreachable: query.get('unreachable') === 'true',
      }),
    };
  });
}
