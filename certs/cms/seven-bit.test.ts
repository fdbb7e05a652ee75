import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entityParts, splitMultipart } from './mime.js';
import { encodeQuotedPrintable, needsTransportEncoding, toSevenBit } from './seven-bit.js';

function decodeQuotedPrintable(text: string): Buffer {
  return Buffer.from(text.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
}

test('a 7-bit entity is returned as is', () => {
  const entity = Buffer.from('Content-Type: text/plain\r\n\r\nHello\r\n');
  assert.equal(toSevenBit(entity), entity);
});

test('an 8-bit text part becomes quoted-printable that decodes to the same bytes', () => {
  const text = "Résultat : pas d’anomalie.\r\nFrom here on, trailing blank \r\n" + 'é'.repeat(60) + '\r\n';
  const entity = Buffer.from(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}`, 'utf8');
  const out = toSevenBit(entity);
  assert.equal(needsTransportEncoding(out), false);
  const { fields, body } = entityParts(out);
  assert.deepEqual(fields.map((f) => f.raw), ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable']);
  assert.ok(body.toString('latin1').split('\r\n').every((line) => line.length <= 76));
  assert.match(body.toString('latin1'), /^=46rom here on, trailing blank=20$/m);
  assert.equal(decodeQuotedPrintable(body.toString('latin1')).toString('utf8'), text);
});

test('binary non-text parts become base64; overlong 7-bit lines are re-encoded too', () => {
  const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0xfe, 0x0a]);
  const out = toSevenBit(Buffer.concat([Buffer.from('Content-Type: application/pdf\r\nContent-Transfer-Encoding: binary\r\n\r\n'), pdf]));
  const { fields, body } = entityParts(out);
  assert.equal(fields[1]!.raw, 'Content-Transfer-Encoding: base64');
  assert.ok(Buffer.from(body.toString('latin1'), 'base64').equals(pdf));
  const long = toSevenBit(Buffer.from(`Content-Type: text/plain\r\n\r\n${'x'.repeat(1200)}\r\n`));
  assert.match(long.toString(), /quoted-printable/);
});

test('multipart: 8-bit parts are re-encoded one by one, boundaries and 7-bit parts unchanged', () => {
  const entity = Buffer.from([
    'Content-Type: multipart/mixed; boundary="=_b"', '', 'préambule ignoré', '--=_b',
    'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', 'Cher confrère,', '--=_b',
    'Content-Type: application/pdf', 'Content-Transfer-Encoding: base64', '', 'JVBERi0=', '--=_b--', '',
  ].join('\r\n'), 'utf8');
  const out = toSevenBit(entity);
  assert.equal(needsTransportEncoding(out), false);
  const parts = splitMultipart(entityParts(out).body, '=_b');
  assert.equal(parts.length, 2);
  assert.equal(parts[0]!.toString(), 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCher confr=C3=A8re,');
  assert.equal(parts[1]!.toString(), 'Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=');
});

test('8-bit message/rfc822 content or a lying transfer encoding cannot be fixed and is refused', () => {
  assert.throws(() => toSevenBit(Buffer.from('Content-Type: message/rfc822\r\n\r\nSubject: é\r\n\r\nbody é\r\n', 'utf8')), /message\/rfc822 part holds 8-bit data/);
  assert.throws(() => toSevenBit(Buffer.from('Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\né\r\n', 'utf8')), /declared base64/);
});

test('8-bit bytes in the entity header only are left alone', () => {
  const entity = Buffer.from('Content-Type: application/pdf; name="résumé.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n', 'utf8');
  assert.equal(toSevenBit(entity), entity);
});

test('encodeQuotedPrintable encodes "=", trailing tabs and soft-breaks long lines', () => {
  assert.equal(encodeQuotedPrintable(Buffer.from('a=b\t\r\n')).toString(), 'a=3Db=09\r\n');
  const long = encodeQuotedPrintable(Buffer.from('y'.repeat(200))).toString();
  assert.ok(long.split('\r\n').every((line) => line.length <= 76));
  assert.equal(long.replace(/=\r\n/g, ''), 'y'.repeat(200));
});

test('raw binary parts keep their LF and CR bytes; text parts get CRLF line ends', () => {
  const pdf = Buffer.from([0x25, 0x50, 0x0a, 0x0d, 0x0a, 0x0d, 0xff, 0x00, 0x0a]);
  const entity = Buffer.concat([
    Buffer.from('Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\n\nligne é\nsuite\n--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: binary\n\n', 'utf8'),
    pdf,
    Buffer.from('\n--b--\n'),
  ]);
  const parts = splitMultipart(entityParts(toSevenBit(entity)).body, 'b');
  assert.equal(parts[0]!.toString(), 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nligne =C3=A9\r\nsuite');
  assert.ok(Buffer.from(entityParts(parts[1]!).body.toString('latin1'), 'base64').equals(pdf));
});

/** RFC 2045 §6.7 the plain way, on canonical text: the reference the fast encoder must match. */
function referenceQuotedPrintable(canonical: string): string {
  return canonical.split('\r\n').map((line) => {
    let out = '';
    let width = 0;
    for (let i = 0; i < line.length; i++) {
      const code = line.charCodeAt(i);
      const blank = code === 0x20 || code === 0x09;
      const literal = ((code >= 33 && code <= 126 && code !== 61) || (blank && i + 1 < line.length)) && !(i === 0 && line.startsWith('From '));
      const piece = literal ? line[i]! : `=${code.toString(16).toUpperCase().padStart(2, '0')}`;
      if (width + piece.length > 75) {
        out += '=\r\n';
        width = 0;
      }
      out += piece;
      width += piece.length;
    }
    return out;
  }).join('\r\n');
}

test('encodeQuotedPrintable matches the plain reference on random text, whatever its line ends', () => {
  const pieces = ['a', 'é', ' ', '\t', '=', '\r\n', '\n', '\r', 'From ', 'F', '\u0000', 'x'.repeat(73), 'y'.repeat(80), '  ', '~'];
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 3000; round++) {
    const text = Array.from({ length: next(40) }, () => pieces[next(pieces.length)]!).join('');
    const bytes = Buffer.from(text, 'utf8');
    const canonical = bytes.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n');
    assert.equal(encodeQuotedPrintable(bytes).toString('latin1'), referenceQuotedPrintable(canonical), JSON.stringify(text));
  }
});
