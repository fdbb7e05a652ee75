/** Operator API routes for mailboxes: creation, lookup, publication, deletion, credentials, delegations, history. */
import type { Router } from '../../core/http-router.js';
import { HygieError } from '../../core/errors.js';
import type { DelegationService } from '../delegations.js';
import type { MailboxService } from '../mailbox-service.js';
import type { PublicationService } from '../publication.js';
import type { Delegation } from '../types.js';
import { mailboxRef, optionalBoolean, optionalDate, optionalText, requiredText, textList } from './fields.js';
import type { ApiHandler } from './server.js';

export interface MailboxApiServices {
  mailboxes: MailboxService;
  publication: PublicationService;
  delegations: DelegationService;
}

export function addMailboxRoutes(router: Router<ApiHandler>, services: MailboxApiServices): void {
  const { mailboxes, publication, delegations } = services;

  router.add('GET', '/api/v1/mailboxes', async ({ query }) => {
    const type = query.get('type');
    const status = query.get('status');
    const all = await mailboxes.listMailboxes();
    return { body: all.filter((m) => (!type || m.type === type) && (!status || m.status === status)) };
  });

  router.add('POST', '/api/v1/mailboxes', async ({ body, actor }) => {
    const type = optionalText(body, 'type') ?? 'PER';
    if (type === 'PER') {
      const created = await mailboxes.createPersonalMailbox({
        professional: optionalText(body, 'professional'), firstName: optionalText(body, 'firstName'), lastName: optionalText(body, 'lastName'),
        rpps: optionalText(body, 'rpps'), adeli: optionalText(body, 'adeli'), profession: optionalText(body, 'profession'),
        password: requiredText(body, 'password'), notificationAddress: optionalText(body, 'notificationAddress'),
        namesake: optionalBoolean(body, 'namesake'), actor, channel: 'api',
      });
      return { status: 201, body: created };
    }
    if (type !== 'ORG' && type !== 'APP') throw new HygieError('INVALID_INPUT', 'field "type" must be PER, ORG or APP');
    const created = await mailboxes.createServiceMailbox({
      type, localPart: requiredText(body, 'localPart'), displayName: requiredText(body, 'displayName'),
      description: optionalText(body, 'description'), structure: optionalText(body, 'structure'), responsible: optionalText(body, 'responsible'),
      password: optionalText(body, 'password'), clientCertificateSha256: optionalText(body, 'clientCertificateSha256'),
      notificationAddress: optionalText(body, 'notificationAddress'), actor, channel: 'api',
    });
    return { status: 201, body: created };
  });

  router.add('GET', '/api/v1/mailboxes/:ref', async ({ params }) => ({ body: await mailboxes.requireMailbox(mailboxRef(params.ref!)) }));

  router.add('GET', '/api/v1/mailboxes/:ref/history', async ({ params }) => ({ body: await publication.history(mailboxRef(params.ref!)) }));

  router.add('POST', '/api/v1/mailboxes/:ref/publish', async ({ params, body, actor }) => ({
    body: await publication.publish(mailboxRef(params.ref!), { reason: requiredText(body, 'reason'), actor, channel: 'api' }),
  }));

  router.add('POST', '/api/v1/mailboxes/:ref/unpublish', async ({ params, body, actor }) => ({
    body: await publication.unpublish(mailboxRef(params.ref!), { reason: requiredText(body, 'reason'), unlisted: optionalBoolean(body, 'unlisted'), actor, channel: 'api' }),
  }));

  router.add('POST', '/api/v1/mailboxes/:ref/delete', async ({ params, body, actor }) => ({
    body: await publication.delete(mailboxRef(params.ref!), { reason: requiredText(body, 'reason'), actor, channel: 'api' }),
  }));

  router.add('POST', '/api/v1/mailboxes/:ref/password', async ({ params, body, actor }) => {
    await mailboxes.resetPassword(mailboxRef(params.ref!), requiredText(body, 'password'), actor);
    return { status: 204, body: null };
  });

  router.add('PUT', '/api/v1/mailboxes/:ref/notification-address', async ({ params, body, actor }) => ({
    body: await mailboxes.setNotificationAddress(mailboxRef(params.ref!), optionalText(body, 'address') ?? null, actor),
  }));

  router.add('GET', '/api/v1/mailboxes/:ref/delegations', async ({ params }) => ({ body: await delegations.list(mailboxRef(params.ref!)) }));

  router.add('POST', '/api/v1/mailboxes/:ref/delegations', async ({ params, body, actor }) => {
    const role = optionalText(body, 'role') ?? 'delegate';
    if (role !== 'member' && role !== 'delegate') throw new HygieError('INVALID_INPUT', 'field "role" must be member or delegate');
    const created: Delegation = await delegations.grant({
      mailbox: mailboxRef(params.ref!), delegate: mailboxRef(requiredText(body, 'delegate')), role: role as Delegation['role'],
      rights: textList(body, 'rights'), validFrom: optionalDate(body, 'validFrom'), validUntil: optionalDate(body, 'validUntil'), actor, channel: 'api',
    });
    return { status: 201, body: created };
  });

  router.add('DELETE', '/api/v1/delegations/:id', async ({ params, actor }) => {
    if (!/^\d+$/.test(params.id!)) throw new HygieError('INVALID_INPUT', 'a delegation id is a number');
    return { body: await delegations.revoke(Number(params.id), actor, 'api') };
  });
}
