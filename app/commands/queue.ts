/** `hygie queue …`: what waits for delivery, and the operator's hand on it. */
import type { RecipientStatus } from '../../gateway/queue/outbound-queue.js';
import { operatorActor, optionalString, withContext } from './shared.js';
import { UsageError, type CliCommand } from './types.js';

const STATUSES: readonly RecipientStatus[] = ['queued', 'delivering', 'delivered', 'failed', 'expired'];

const list: CliCommand = {
  words: ['queue', 'list'],
  usage: '[--status queued|delivering|delivered|failed|expired] [--domain D] [--json]\n      the outbound queue, one line per recipient',
  options: { status: { type: 'string' }, domain: { type: 'string' }, json: { type: 'boolean' } },
  run: ({ values, config }) => withContext(config, async (context) => {
    const status = optionalString(values, 'status');
    if (status && !STATUSES.includes(status as RecipientStatus)) throw new UsageError(`--status is one of ${STATUSES.join(', ')}`);
    const entries = await context.queue.list({ ...(status ? { status: status as RecipientStatus } : {}), ...(values.domain ? { domain: String(values.domain) } : {}) });
    if (values.json) {
      console.log(JSON.stringify(entries, null, 2));
      return 0;
    }
    if (entries.length === 0) console.log('The queue is empty.');
    for (const e of entries) {
      console.log(`${String(e.id).padStart(6)}  ${e.status.padEnd(10)} ${e.route.padEnd(8)} ${e.envelopeFrom} -> ${e.recipient}  attempts ${e.attempts}` +
        `${e.status === 'queued' ? `  next ${e.nextAttemptAt}  returned ${e.expiresAt}` : ''}${e.lastError ? `\n          last error: ${e.lastError}` : ''}`);
    }
    return 0;
  }),
};

const retry: CliCommand = {
  words: ['queue', 'retry'],
  usage: '(ID | --domain D | --all)\n      try queued recipients again now',
  options: { domain: { type: 'string' }, all: { type: 'boolean' } },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const id = args[0];
    if (!id && !values.domain && !values.all) throw new UsageError('give a queue entry ID, --domain D or --all');
    if (id && !/^\d+$/.test(id)) throw new UsageError('a queue entry ID is a number (see hygie queue list)');
    const count = await context.queue.retryNow({ ...(id ? { id: Number(id) } : {}), ...(values.domain ? { domain: String(values.domain) } : {}) }, operatorActor());
    console.log(`${count} recipient(s) due now; the running operator picks them up within seconds`);
    return 0;
  }),
};

const purge: CliCommand = {
  words: ['queue', 'purge'],
  usage: 'ID\n      give up a queued recipient without delivering it (audited; no DSN)',
  run: ({ args, config }) => withContext(config, async (context) => {
    if (!args[0] || !/^\d+$/.test(args[0])) throw new UsageError('give the queue entry ID (see hygie queue list)');
    await context.queue.purge(Number(args[0]), operatorActor());
    console.log(`Queue entry ${args[0]} purged`);
    return 0;
  }),
};

export const queueCommands: CliCommand[] = [list, retry, purge];
