import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAddressList } from './address.js';
import { buildBodyStructure } from './bodystructure.js';
import { compileUntagged, type ResponseValue } from './compiler.js';
import { buildEnvelope } from './envelope.js';
import { decodeEncodedWords, extractBodyText } from './mime-decode.js';
import { parseMime } from './mime.js';
import { extractSection, type SectionSpec } from './sections.js';

const MESSAGE = Buffer.from([
  'From: "Dr Jean Martin" <jean.martin@esante-demo.test>',
  'To: Hélène Durand <helene.durand@esante-demo.test>, Équipe: a@b.c, d@e.f;',
  'Cc: undisclosed-recipients:;',
  "Subject: Résultats d'analyses",
  'Date: Tue, 24 Nov 2026 10:00:00 +0100',
  'Message-ID: <abc@esante-demo.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed;',
  '\tboundary="outer"',
  '',
  'preamble',
  '--outer',
  'Content-Type: multipart/alternative; boundary="inner"',
  '',
  '--inner',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'R=C3=A9sultats normaux.',
  'Deuxième ligne',
  '--inner',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>Résultats</p>',
  '--inner--',
  '--outer',
  'Content-Type: message/rfc822',
  '',
  'Subject: inner',
  'From: a@b.c',
  '',
  'inner body',
  '--outer',
  'Content-Type: application/pdf; name="résultats.pdf"',
  'Content-Disposition: attachment; filename="resultats.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  'JVBERi0=',
  '--outer--',
  'epilogue',
  '',
].join('\r\n'), 'utf8');

const wire = (value: ResponseValue): string => compileUntagged([value]).toString('utf8').slice(2, -2);
const section = (path: number[], text: SectionSpec['text'] = '', fields: string[] = []): string | null =>
  extractSection(MESSAGE, parseMime(MESSAGE), { path, text, fields })?.toString('utf8') ?? null;

test('BODYSTRUCTURE of a nested multipart with an encapsulated message and a French file name', () => {
  const inner = '(NIL "inner" ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) NIL NIL NIL NIL NIL)';
  const expected = '('
    + '(("text" "plain" ("charset" "utf-8") NIL NIL "QUOTED-PRINTABLE" 40 2 NIL NIL NIL NIL)'
    + ' ("text" "html" ("charset" "utf-8") NIL NIL "7BIT" 17 1 NIL NIL NIL NIL)'
    + ' "alternative" ("boundary" "inner") NIL NIL NIL)'
    + ` ("message" "rfc822" NIL NIL NIL "7BIT" 41 ${inner} ("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)`
    + ' ("application" "pdf" ("name" {14}\r\nrésultats.pdf) NIL NIL "BASE64" 8 NIL ("attachment" ("filename" "resultats.pdf")) NIL NIL)'
    + ' "mixed" ("boundary" "outer") NIL NIL NIL)';
  assert.equal(wire(buildBodyStructure(parseMime(MESSAGE), true)), expected);
});

test('BODY (non-extensible) drops the extension data', () => {
  const body = wire(buildBodyStructure(parseMime(MESSAGE), false));
  assert.match(body, /^\(\(\("text" "plain" \("charset" "utf-8"\) NIL NIL "QUOTED-PRINTABLE" 40 2\) \("text" "html" \("charset" "utf-8"\) NIL NIL "7BIT" 17 1\) "alternative"\) /);
  assert.match(body, /"BASE64" 8\) "mixed"\)$/);
});

test('ENVELOPE: 8-bit subject as a literal, groups, sender and reply-to default to from', () => {
  const from = '(("Dr Jean Martin" NIL "jean.martin" "esante-demo.test"))';
  assert.equal(wire(buildEnvelope(parseMime(MESSAGE).headers)), '('
    + '"Tue, 24 Nov 2026 10:00:00 +0100" {21}\r\nRésultats d\'analyses'
    + ` ${from} ${from} ${from}`
    + ' (({15}\r\nHélène Durand NIL "helene.durand" "esante-demo.test") (NIL NIL {7}\r\nÉquipe NIL) (NIL NIL "a" "b.c") (NIL NIL "d" "e.f") (NIL NIL NIL NIL))'
    + ' ((NIL NIL "undisclosed-recipients" NIL) (NIL NIL NIL NIL))'
    + ' NIL NIL "<abc@esante-demo.test>")');
});

test('a message without Content-Type is text/plain us-ascii; its body is part 1', () => {
  const raw = Buffer.from('Subject: hi\r\n\r\nline 1\r\nline 2');
  const mime = parseMime(raw);
  assert.equal(wire(buildBodyStructure(mime, true)), '("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 14 2 NIL NIL NIL NIL)');
  assert.equal(extractSection(raw, mime, { path: [1], text: '', fields: [] })?.toString(), 'line 1\r\nline 2');
  assert.equal(extractSection(raw, mime, { path: [2], text: '', fields: [] }), null);
});

test('body sections by part number, HEADER, HEADER.FIELDS, TEXT and MIME', () => {
  assert.equal(section([1, 1]), 'R=C3=A9sultats normaux.\r\nDeuxième ligne');
  assert.equal(section([1, 2], 'MIME'), 'Content-Type: text/html; charset=utf-8\r\n\r\n');
  assert.equal(section([2], 'HEADER'), 'Subject: inner\r\nFrom: a@b.c\r\n\r\n');
  assert.equal(section([2], 'TEXT'), 'inner body');
  assert.equal(section([2, 1]), 'inner body');
  assert.equal(section([3]), 'JVBERi0=');
  assert.equal(section([4]), null);
  assert.equal(section([], 'HEADER.FIELDS', ['subject', 'CONTENT-TYPE']),
    "Subject: Résultats d'analyses\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"outer\"\r\n\r\n");
  assert.match(section([], 'HEADER.FIELDS.NOT', ['content-type', 'to', 'cc', 'from', 'date', 'message-id', 'mime-version'])!, /^Subject: [^\r]+\r\n\r\n$/);
  assert.match(section([], 'TEXT')!, /^preamble\r\n--outer\r\n[\s\S]*--outer--\r\nepilogue\r\n$/);
  assert.equal(section([], 'HEADER'), MESSAGE.subarray(0, MESSAGE.indexOf('\r\n\r\n') + 4).toString('utf8'));
});

test('malformed structures degrade instead of failing', () => {
  const noBoundary = parseMime(Buffer.from('Content-Type: multipart/mixed\r\n\r\nbody'));
  assert.equal(noBoundary.contentType.type, 'text');
  const unterminated = parseMime(Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\npart one'));
  assert.equal(unterminated.children.length, 1);
  assert.equal(unterminated.children[0]!.end - unterminated.children[0]!.bodyStart, 8);
  const noParts = parseMime(Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\nnothing here'));
  assert.equal(noParts.children.length, 1);
  const headerOnly = parseMime(Buffer.from('Subject: only a header'));
  assert.equal(headerOnly.bodyStart, headerOnly.end);
  const prefix = parseMime(Buffer.from('Content-Type: multipart/mixed; boundary=ab\r\n\r\n--ab\r\n\r\n--abc is not a delimiter\r\n--ab--\r\n'));
  assert.equal(prefix.children.length, 1);
});

test('decoding for search: encoded words, quoted-printable bodies, charsets', () => {
  assert.equal(decodeEncodedWords('=?UTF-8?Q?R=C3=A9sultats_d=27analyses?= =?ISO-8859-1?B?6XTp?='), "Résultats d'analysesété");
  const text = extractBodyText(MESSAGE, parseMime(MESSAGE));
  assert.match(text, /Résultats normaux\.\r\nDeuxième ligne/);
  assert.match(text, /<p>Résultats<\/p>/);
  assert.match(text, /inner body/);
});

test('address lists: quoted names, comments, routes, bare addresses', () => {
  assert.deepEqual(parseAddressList('"Durand, Hélène" <h@x.fr>, j@y.fr (Jean), <@relay.fr:k@z.fr>, nobody'), [
    { kind: 'mailbox', name: 'Durand, Hélène', route: null, mailbox: 'h', host: 'x.fr' },
    { kind: 'mailbox', name: 'Jean', route: null, mailbox: 'j', host: 'y.fr' },
    { kind: 'mailbox', name: null, route: '@relay.fr', mailbox: 'k', host: 'z.fr' },
    { kind: 'mailbox', name: null, route: null, mailbox: 'nobody', host: null },
  ]);
});

test('an encapsulated message always gets an envelope and a body, even when wrongly encoded', () => {
  const raw = Buffer.from('Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA==\r\n');
  assert.equal(wire(buildBodyStructure(parseMime(raw), false)),
    '("message" "rfc822" NIL NIL NIL "BASE64" 18 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 0 0) 1)');
});
