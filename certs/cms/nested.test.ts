/**
 * Signed content that is itself a signed message: each layer is verified, up to a depth.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../trust/openssl-pki.js';
import { splitMessage } from './mime.js';
import { signMessage } from './sign.js';
import { createSmimeWorld, frenchMultipartMessage, frenchTextMessage, HELENE, type SmimeWorld } from './smime-fixtures.js';
import { allLayersValid, formatAuthenticationResults, innermostContent } from './verdict.js';
import { verifyMessage } from './verify.js';

let world: SmimeWorld;
before(() => {
  world = createSmimeWorld();
});
after(() => world.cleanup());

test('opaque over detached: both layers verified, innermost content returned', async () => {
  const signer = await world.signer(world.helene);
  const original = frenchMultipartMessage();
  const inner = await signMessage(original, signer);
  const outer = await signMessage(inner, signer, { mode: 'opaque' });
  const verdict = await verifyMessage(outer, { trust: world.trust });
  assert.equal(verdict.status, 'valid');
  assert.equal(verdict.status === 'valid' ? verdict.nested?.status : '', 'valid');
  assert.ok(allLayersValid(verdict));
  const content = innermostContent(verdict)!.toString('latin1');
  assert.match(content, /^From: =\?UTF-8\?Q\?Dr_H=C3=A9l=C3=A8ne_Lef=C3=A8vre\?= <helene/);
  assert.match(content, /Content-Type: multipart\/mixed; boundary="=_mixed_0001"\r\n\r\nThis is a multi-part message/);
  const header = formatAuthenticationResults(verdict, 'mx.hygie.test');
  assert.equal(header.match(/smime=pass/g)?.length, 2);
  assert.match(header, /smime=pass \(inner signature\)/);
});

test('a valid outer signature over an altered inner one: the inner layer says content-altered', async () => {
  const signer = await world.signer(world.helene);
  const inner = (await signMessage(frenchTextMessage(), signer)).toString('latin1').replace('compte-rendu', 'compte-rendo');
  const outer = await signMessage(Buffer.from(inner, 'latin1'), signer, { mode: 'opaque' });
  const verdict = await verifyMessage(outer, { trust: world.trust });
  assert.equal(verdict.status, 'valid');
  const nested = verdict.status === 'valid' ? verdict.nested : undefined;
  assert.equal(nested?.status, 'invalid');
  assert.equal(nested?.status === 'invalid' ? nested.reason : '', 'content-altered');
  assert.equal(allLayersValid(verdict), false);
  assert.match(formatAuthenticationResults(verdict, 'mx.hygie.test'), /smime=pass[^;]*;\r\n\tsmime=fail \(inner signature\) reason="content-altered: /);
});

test('openssl signing our signed message (triple layers) and the depth limit', async () => {
  const signer = await world.signer(world.helene);
  let message = frenchTextMessage();
  for (let i = 0; i < 3; i++) message = await signMessage(message, signer, { mode: i % 2 ? 'opaque' : 'detached' });
  // A fourth layer by openssl, over the whole entity we produced.
  const entityFile = world.write('layer3.entity', splitMessage(message).entity);
  const out = world.write('layer4.eml', '');
  const made = run('openssl', ['cms', '-sign', '-in', entityFile, '-signer', world.helene.certFile, '-inkey', world.helene.keyFile,
    '-certfile', world.persons.certFile, '-from', HELENE, '-out', out, '-binary']);
  assert.equal(made.status, 0, made.stderr);
  const four = run('cat', [out]).stdout;

  const deep = await verifyMessage(four, { trust: world.trust, maxNesting: 5 });
  let layers = 0;
  for (let v = deep; v && v.status !== 'unsigned'; v = v.nested!) {
    assert.equal(v.status, 'valid', `layer ${layers + 1}`);
    layers++;
    if (!v.nested) break;
  }
  assert.equal(layers, 4);
  assert.match(innermostContent(deep)!.toString('utf8'), /Cher confrère|Cher confr=C3=A8re/);

  const limited = await verifyMessage(four, { trust: world.trust });
  const third = limited.status === 'valid' && limited.nested?.status === 'valid' ? limited.nested.nested : undefined;
  assert.equal(third?.status, 'valid');
  const fourth = third?.status === 'valid' ? third.nested : undefined;
  assert.equal(fourth?.status, 'invalid');
  assert.match(fourth?.status === 'invalid' ? fourth.detail : '', /nested more than 3 deep/);
});
