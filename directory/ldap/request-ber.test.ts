import assert from 'node:assert/strict';
import { test } from 'node:test';
import ldapjs from 'ldapjs';
import { tlv } from './ber.js';
import { MessageFramer } from './framing.js';
import { SEARCH_REQUEST, decodeSearchRequest, readEnvelope } from './request-ber.js';

/** A SearchRequest as ldapjs's client encodes it (@types/ldapjs lacks the ldapjs 3 message classes). */
function clientSearch(options: { filter: string; attributes?: string[]; scope?: string; sizeLimit?: number; controls?: unknown[] }): Buffer {
  const { SearchRequest } = ldapjs as unknown as { SearchRequest: new (options: object) => { toBer(): { buffer: Buffer } } };
  return new SearchRequest({
    messageId: 7, baseObject: 'ou=people,dc=esante-demo,dc=test', scope: options.scope ?? 'sub', filter: ldapjs.parseFilter(options.filter),
    attributes: options.attributes ?? [], sizeLimit: options.sizeLimit ?? 0, controls: options.controls ?? [],
  }).toBer().buffer;
}

function decode(message: Buffer) {
  const envelope = readEnvelope(message);
  assert.ok(envelope);
  return { envelope, search: decodeSearchRequest(message, envelope.start, envelope.end) };
}

test('a search request from ldapjs\'s client decodes to our query, values unescaped', () => {
  const { envelope, search } = decode(clientSearch({
    filter: '(&(objectClass=inetOrgPerson)(|(mail=A@b.fr)(cn=H\\c3\\a9l*ne*)(!(sn>=M)))(uid=*)(cn~=x)(sn<=z))',
    attributes: ['cn', 'mail'], sizeLimit: 20,
  }));
  assert.deepEqual([envelope.messageId, envelope.operation, envelope.hasControls], [7, SEARCH_REQUEST, false]);
  assert.deepEqual(search, {
    baseDn: 'ou=people,dc=esante-demo,dc=test', scope: 'sub', sizeLimit: 20, timeLimit: 0, typesOnly: false, attributes: ['cn', 'mail'],
    filter: {
      type: 'and', filters: [
        { type: 'equality', attribute: 'objectClass', value: 'inetOrgPerson' },
        { type: 'or', filters: [
          { type: 'equality', attribute: 'mail', value: 'A@b.fr' },
          { type: 'substrings', attribute: 'cn', initial: 'Hél', any: ['ne'] },
          { type: 'not', filter: { type: 'greaterOrEqual', attribute: 'sn', value: 'M' } },
        ] },
        { type: 'present', attribute: 'uid' },
        { type: 'approx', attribute: 'cn', value: 'x' },
        { type: 'lessOrEqual', attribute: 'sn', value: 'z' },
      ],
    },
  });
});

test('raw UTF-8 values (ldapsearch) and long lengths decode too', () => {
  const octets = (text: string) => tlv(0x04, Buffer.from(text, 'utf8'));
  const int = (tag: number, n: number) => tlv(tag, Buffer.from([n]));
  const long = 'x'.repeat(300);
  const request = tlv(SEARCH_REQUEST, octets('dc=esante-demo,dc=test'), int(0x0a, 0), int(0x0a, 0), int(0x02, 0), int(0x02, 0), tlv(0x01, Buffer.from([0xff])),
    tlv(0xa4, octets('cn'), tlv(0x30, tlv(0x81, Buffer.from('hél', 'utf8')), tlv(0x82, Buffer.from(long)))), tlv(0x30));
  const { search } = decode(tlv(0x30, int(0x02, 3), request));
  assert.deepEqual(search, {
    baseDn: 'dc=esante-demo,dc=test', scope: 'base', sizeLimit: 0, timeLimit: 0, typesOnly: true, attributes: [],
    filter: { type: 'substrings', attribute: 'cn', any: ['hél'], final: long },
  });
});

test('requests we leave to ldapjs: controls, extensible matches, deep nesting, malformed filters, other operations', () => {
  const { PagedResultsControl } = ldapjs as unknown as { PagedResultsControl: new (options: object) => unknown };
  const paged = clientSearch({ filter: '(cn=x)', controls: [new PagedResultsControl({ value: { size: 5 } })] });
  assert.equal(readEnvelope(paged)?.hasControls, true);
  assert.equal(decode(clientSearch({ filter: '(cn:dn:=x)' })).search, undefined);
  let deep = '(cn=x)';
  for (let i = 0; i < 40; i++) deep = `(!${deep})`;
  assert.equal(decode(clientSearch({ filter: deep })).search, undefined);
  const good = clientSearch({ filter: '(cn=x)' });
  const envelope = readEnvelope(good)!;
  assert.equal(decodeSearchRequest(good, envelope.start, envelope.end - 1), undefined, 'truncated');
  const { BindRequest } = ldapjs as unknown as { BindRequest: new (options: object) => { toBer(): { buffer: Buffer } } };
  const bind = new BindRequest({ messageId: 2, name: 'cn=x', credentials: 'secret' }).toBer().buffer;
  assert.equal(readEnvelope(bind)?.operation, 0x60);
  assert.equal(readEnvelope(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])), undefined, 'no operation');
});

test('the framer cuts whole messages across chunks and refuses what is not LDAP or too large', () => {
  const one = clientSearch({ filter: '(cn=x)' });
  const two = clientSearch({ filter: '(mail=a@b)' });
  const framer = new MessageFramer(1024);
  const stream = Buffer.concat([one, two]);
  assert.deepEqual(framer.push(stream.subarray(0, 1)).messages, []);
  assert.deepEqual(framer.push(stream.subarray(1, one.length + 3)).messages, [one]);
  assert.deepEqual(framer.push(stream.subarray(one.length + 3)).messages, [two]);
  assert.equal(new MessageFramer(1024).push(Buffer.from('GET / HTTP/1.1\r\n')).refused, 'not an LDAP message');
  assert.equal(new MessageFramer(1024).push(Buffer.from([0x30, 0x84, 0x40, 0, 0, 0])).refused, 'request over 1024 bytes');
  assert.equal(new MessageFramer(1024).push(Buffer.from([0x30, 0x80])).refused, 'not an LDAP message', 'indefinite length');
});
