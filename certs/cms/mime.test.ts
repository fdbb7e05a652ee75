import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  base64Lines, canonicalize, detectSmime, entityParts, joinMessage, multipartFrame, multipartSignedEntity, parseContentType, pkcs7MimeEntity,
  pkcs7MimeMessage, SmimeFormatError, splitMessage, splitMultipart,
} from './mime.js';

test('canonicalize turns bare LF and lone CR into CRLF and leaves CRLF alone', () => {
  assert.equal(canonicalize(Buffer.from('a\nb\r\nc\rd')).toString(), 'a\r\nb\r\nc\r\nd');
  const crlf = Buffer.from('a\r\nb\r\n');
  assert.equal(canonicalize(crlf), crlf, 'no copy when already canonical');
});

test('splitMessage keeps the outer header, moves Content-* into the entity; joinMessage reverses it', () => {
  const message = Buffer.from('From: a@x.test\nSubject: =?UTF-8?Q?r=C3=A9sum=C3=A9?=\n folded\nMIME-Version: 1.0\nContent-Type: text/plain;\n charset=utf-8\n\nbody\n');
  const { outer, entity } = splitMessage(message);
  assert.deepEqual(outer.map((f) => f.name), ['From', 'Subject']);
  assert.equal(outer[1]!.raw, 'Subject: =?UTF-8?Q?r=C3=A9sum=C3=A9?=\r\n folded');
  assert.equal(entity.toString(), 'Content-Type: text/plain;\r\n charset=utf-8\r\n\r\nbody\r\n');
  assert.equal(joinMessage(outer, entity).toString(), 'From: a@x.test\r\nSubject: =?UTF-8?Q?r=C3=A9sum=C3=A9?=\r\n folded\r\nMIME-Version: 1.0\r\nContent-Type: text/plain;\r\n charset=utf-8\r\n\r\nbody\r\n');
});

test('a message without Content-Type becomes an explicit text/plain entity', () => {
  const { entity } = splitMessage(Buffer.from('From: a@x.test\r\n\r\nhello\r\n'));
  assert.equal(entity.toString(), 'Content-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n');
});

test('parseContentType reads quoted parameters with semicolons inside', () => {
  assert.deepEqual(parseContentType('Multipart/Signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="a;b=c"'), {
    type: 'multipart/signed', params: { protocol: 'application/pkcs7-signature', micalg: 'sha-256', boundary: 'a;b=c' },
  });
});

test('multipartFrame: preamble, parts exactly as sent, epilogue', () => {
  const body = Buffer.from('preamble\r\n--b\r\npart one\r\n--b  \r\n\r\n--b\r\nlast\r\n\r\n--b--\r\nepilogue\r\n');
  const frame = multipartFrame(body, 'b');
  assert.equal(frame.preamble.toString(), 'preamble');
  assert.deepEqual(frame.parts.map(String), ['part one', '', 'last\r\n']);
  assert.equal(frame.epilogue.toString(), '\r\nepilogue\r\n');
});

test('a line that merely starts with the boundary (a nested boundary) is not a delimiter', () => {
  const body = Buffer.from('--outer\r\nContent-Type: multipart/alternative; boundary="outer-inner"\r\n\r\n--outer-inner\r\nx\r\n--outer-inner--\r\n--outer--\r\n');
  const parts = splitMultipart(body, 'outer');
  assert.equal(parts.length, 1);
  assert.match(parts[0]!.toString(), /--outer-inner--$/);
  assert.throws(() => splitMultipart(Buffer.from('--b\r\nno end\r\n'), 'b'), SmimeFormatError);
  assert.throws(() => splitMultipart(Buffer.from('nothing here'), 'b'), /boundary not found/);
});

test('detectSmime recognises both forms, x- spellings and .p7m octet-streams', () => {
  const entity = Buffer.from('Content-Type: text/plain\r\n\r\nsigned text\r\n');
  const signed = multipartSignedEntity(entity, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), 'sha-256', 'xyz');
  const detached = detectSmime(signed);
  assert.equal(detached.kind, 'multipart-signed');
  if (detached.kind === 'multipart-signed') {
    assert.ok(detached.content.equals(entity), 'the first part is the signed entity byte for byte');
    assert.deepEqual([...detached.signature], [0x30, 0x03, 0x02, 0x01, 0x01]);
    assert.equal(detached.micalg, 'sha-256');
  }
  const opaque = detectSmime(pkcs7MimeEntity(new Uint8Array([1, 2, 3]), 'signed-data'));
  assert.deepEqual(opaque, { kind: 'pkcs7-mime', smimeType: 'signed-data', der: Buffer.from([1, 2, 3]) });
  const legacy = detectSmime(Buffer.from('Content-Type: application/x-pkcs7-mime; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nAQID\r\n'));
  assert.deepEqual(legacy, { kind: 'pkcs7-mime', smimeType: null, der: Buffer.from([1, 2, 3]) });
  const octet = detectSmime(Buffer.from('Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\nAQID\r\n'));
  assert.equal(octet.kind, 'pkcs7-mime');
  assert.equal(detectSmime(Buffer.from('Content-Type: application/octet-stream; name="report.pdf"\r\n\r\nx')).kind, 'plain');
});

test('entityParts of an entity with LF line ends', () => {
  const { fields, body, contentType } = entityParts(Buffer.from('Content-Type: text/html; charset=utf-8\n\n<p>x</p>\n'));
  assert.equal(fields.length, 1);
  assert.equal(body.toString(), '<p>x</p>\r\n');
  assert.equal(contentType.params.charset, 'utf-8');
});

test('splitMessage and entityParts can keep the body byte for byte (raw binary bodies)', () => {
  const message = Buffer.concat([Buffer.from('From: a@x.test\nContent-Type: application/pdf\nContent-Transfer-Encoding: binary\n\n'), Buffer.from([0x0a, 0x0d, 0xff, 0x0a])]);
  const { outer, entity } = splitMessage(message, { canonicalize: false });
  assert.equal(outer[0]!.raw, 'From: a@x.test');
  assert.ok(entity.equals(Buffer.concat([Buffer.from('Content-Type: application/pdf\r\nContent-Transfer-Encoding: binary\r\n\r\n'), Buffer.from([0x0a, 0x0d, 0xff, 0x0a])])));
  assert.deepEqual([...entityParts(entity, { canonicalize: false }).body], [0x0a, 0x0d, 0xff, 0x0a]);
  assert.deepEqual([...entityParts(entity).body], [0x0d, 0x0a, 0x0d, 0x0a, 0xff, 0x0d, 0x0a], 'the default canonicalises');
});

test('base64Lines: 76-character CRLF lines after an optional prefix, for every length', () => {
  for (let length = 0; length < 400; length += 7) {
    const bytes = Buffer.alloc(length, length % 251);
    const text = bytes.toString('base64');
    const expected = (text.match(/.{1,76}/g) ?? ['']).join('\r\n') + '\r\n';
    assert.equal(base64Lines(bytes).toString('latin1'), expected, `length ${length}`);
    assert.equal(base64Lines(bytes, Buffer.from('Header: x\r\n\r\n')).toString('latin1'), 'Header: x\r\n\r\n' + expected);
  }
});

test('base64Lines of DER pieces is base64Lines of the pieces joined, wherever they split', () => {
  let seed = 3;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  // Small and large pieces (large ones are encoded in place), empty ones, groups of 3 split across pieces.
  const sizes = [0, 1, 2, 3, 4, 5, 300, 511, 512, 513, 514, 700, 2000];
  for (let round = 0; round < 300; round++) {
    const pieces = Array.from({ length: 1 + next(6) }, () => Buffer.from(Array.from({ length: sizes[next(sizes.length)]! }, () => next(256))));
    assert.ok(base64Lines(pieces, Buffer.from('H: x\r\n\r\n')).equals(base64Lines(Buffer.concat(pieces), Buffer.from('H: x\r\n\r\n'))), `sizes ${pieces.map((p) => p.length)}`);
  }
});

test('a multipart/signed entity written into a larger scratch buffer is the same entity', () => {
  const content = Buffer.from('Content-Type: text/plain\r\n\r\nbonjour\r\n');
  const signature = new Uint8Array(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));
  const scratch = Buffer.alloc(64 * 1024, 0x55);
  const inScratch = multipartSignedEntity(content, signature, 'sha-256', 'b0undary', () => scratch);
  assert.equal(inScratch.buffer, scratch.buffer);
  assert.ok(inScratch.equals(multipartSignedEntity(content, signature, 'sha-256', 'b0undary')));
  assert.match(inScratch.toString('latin1'), /^Content-Type: multipart\/signed; protocol="application\/pkcs7-signature"; micalg=sha-256;\r\n boundary="b0undary"\r\n/);
  assert.ok(inScratch.toString('latin1').endsWith('\r\n--b0undary--\r\n'));
});

test('pkcs7MimeMessage is joinMessage of pkcs7MimeEntity, written at once', () => {
  const { outer } = splitMessage(Buffer.from('From: a@x.test\r\nMIME-Version: 1.0\r\nSubject: s\r\n\r\nbody'));
  const der = new Uint8Array(Array.from({ length: 300 }, (_, i) => i & 0xff));
  assert.ok(pkcs7MimeMessage(outer, der, 'enveloped-data').equals(joinMessage(outer, pkcs7MimeEntity(der, 'enveloped-data'))));
});
