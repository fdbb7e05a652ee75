import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import { startTestOperator, type TestOperator } from './harness.js';

describe('submission limits', () => {
  let operator: TestOperator;
  before(async () => {
    operator = await startTestOperator({ overrides: { smtp: { maxMessageSize: 1024 * 1024, maxMessagesPerHour: 2 } } });
  });
  after(() => operator.dispose());

  test('beyond the hourly limit a box gets a temporary 450 4.7.1 that says when to retry; other boxes are not affected', async () => {
    const sender = await operator.createUser('Paul', 'Pressé');
    const other = await operator.createUser('Léa', 'Calme');
    const send = (user: { addresses: Array<{ address: string }>; password: string }) => {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1', port: operator.ports.submission, secure: false, requireTLS: true,
        auth: { user: user.addresses[0]!.address, pass: user.password }, tls: { ca: operator.caCertPem as string, servername: 'localhost' },
      });
      return transport.sendMail({ from: user.addresses[0]!.address, to: other.addresses[0]!.address, subject: 'x', text: 'x' }).finally(() => transport.close());
    };
    await send(sender);
    await send(sender);
    await assert.rejects(send(sender), (error: Error & { responseCode?: number }) =>
      error.responseCode === 450 && /4\.7\.1 Too many messages sent from this box.*next in \d+ s/.test(error.message));
    await send(other);
  });
});
