/** Operator API routes of the gateway: the outbound queue and the networks. */
import type { Router } from '../../core/http-router.js';
import { HygieError } from '../../core/errors.js';
import { optionalText, requiredText } from '../../directory/api/fields.js';
import type { ApiHandler } from '../../directory/api/server.js';
import type { OutboundQueue, RecipientStatus } from '../queue/outbound-queue.js';
import type { NetworkRouter } from '../routing/network-router.js';
import type { TrustList } from '../routing/trust-list.js';

const STATUSES: readonly RecipientStatus[] = ['queued', 'delivering', 'delivered', 'failed', 'expired'];

export interface GatewayApiServices {
  queue: OutboundQueue;
  router: NetworkRouter;
  trustList: TrustList;
}

export function addGatewayRoutes(router: Router<ApiHandler>, services: GatewayApiServices): void {
  const { queue, trustList } = services;

  router.add('GET', '/api/v1/queue', async ({ query }) => {
    const status = query.get('status');
    if (status && !STATUSES.includes(status as RecipientStatus)) throw new HygieError('INVALID_INPUT', `status is one of ${STATUSES.join(', ')}`);
    const domain = query.get('domain');
    return { body: await queue.list({ ...(status ? { status: status as RecipientStatus } : {}), ...(domain ? { domain } : {}) }) };
  });

  router.add('POST', '/api/v1/queue/retry', async ({ body, actor }) => {
    const id = body.id;
    if (id !== undefined && (typeof id !== 'number' || !Number.isInteger(id))) throw new HygieError('INVALID_INPUT', 'field "id" must be a queue entry number');
    const domain = optionalText(body, 'domain');
    if (id === undefined && !domain && body.all !== true) throw new HygieError('INVALID_INPUT', 'give "id", "domain" or "all": true');
    return { body: { due: await queue.retryNow({ ...(typeof id === 'number' ? { id } : {}), ...(domain ? { domain } : {}) }, actor) } };
  });

  router.add('POST', '/api/v1/queue/:id/purge', async ({ params, actor }) => {
    if (!/^\d+$/.test(params.id!)) throw new HygieError('INVALID_INPUT', 'a queue entry id is a number');
    await queue.purge(Number(params.id), actor);
    return { status: 204, body: null };
  });

  router.add('GET', '/api/v1/networks', async () => ({
    body: {
      profiles: services.router.profiles.map((p) => ({
        name: p.name, identity: p.identity, protection: p.protection, mutualTls: p.mutualTls, usesTrustList: p.usesTrustList,
        domains: p.domains, relayHost: p.settings.relayHost || null, port: p.settings.port,
      })),
      trustList: (await trustList.info()) ?? null,
    },
  }));

  router.add('POST', '/api/v1/networks/trust-list', async ({ body, actor }) => ({ body: await trustList.load(requiredText(body, 'source'), actor) }));
}
