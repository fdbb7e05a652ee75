/**
 * SignerInfo read by the BER walker: the fields verification uses, strict structure, and
 * the signed attributes each present once with one well-formed value.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as asn1js from 'asn1js';
import { CmsFormatError, readTlv } from './ber-reader.js';
import { algorithmIdentifier, contextTag, objectIdentifier, octetString, sequence, setOf, smallInteger, time, tlv } from './der-writer.js';
import { CMS_OIDS, encodeSignedAttributes, readSignedAttributes } from './signed-attributes.js';
import { describeSid, readSignerInfo } from './signer-info.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const RSA = '1.2.840.113549.1.1.1';
const digest = new Uint8Array(32).fill(7);
const signingTime = new Date('2026-11-24T10:00:00Z');

function signerInfo(attributes: Uint8Array | undefined, sid: Uint8Array = sequence(sequence(), tlv(0x02, Buffer.from([0x00, 0x9a])))): Buffer {
  return sequence(
    smallInteger(1), sid, algorithmIdentifier(SHA256),
    ...(attributes ? [Buffer.concat([Buffer.from([0xa0]), attributes.subarray(1)])] : []),
    algorithmIdentifier(RSA, true), octetString(Buffer.from('signature')),
  );
}

const read = (der: Buffer) => readSignerInfo(der, readTlv(der, 0));
const attribute = (type: string, ...values: Uint8Array[]) => sequence(objectIdentifier(type), setOf(values));

test('the fields of a SignerInfo, and the signed attributes exactly as signed', () => {
  const attributes = encodeSignedAttributes({ contentType: CMS_OIDS.data, messageDigest: digest, signingTime });
  const info = read(signerInfo(attributes));
  assert.equal(info.digestAlgorithm, SHA256);
  assert.equal(info.signatureAlgorithm.algorithmId, RSA);
  assert.equal(Buffer.from(info.signature).toString(), 'signature');
  assert.equal(describeSid(info.sid), 'serial 9A', 'leading zero bytes of the serial number ignored');
  assert.ok(Buffer.from(info.signedAttributes!.encoded).equals(attributes), 'the SET OF the signature covers');
  assert.deepEqual(readSignedAttributes(info.signedAttributes!), { ok: true, contentType: CMS_OIDS.data, messageDigest: digest, signingTime });

  const byKeyId = read(signerInfo(undefined, tlv(0x80, Buffer.from([1, 2, 3]))));
  assert.equal(describeSid(byKeyId.sid), 'key identifier 010203');
  assert.equal(byKeyId.signedAttributes, undefined);
});

test('a structure that is not a SignerInfo is refused as malformed', () => {
  const good = signerInfo(undefined);
  for (const bad of [
    Buffer.concat([good.subarray(0, 1), Buffer.from([good[1]! + 2]), good.subarray(2), Buffer.from([0x05, 0x00])]), // a field too many
    sequence(smallInteger(1), sequence(sequence(), tlv(0x02, Buffer.from([1])))), // fields missing
    sequence(smallInteger(1), tlv(0x04, Buffer.from([1])), algorithmIdentifier(SHA256), algorithmIdentifier(RSA), octetString(Buffer.from([1]))), // sid
  ]) {
    assert.throws(() => read(bad), CmsFormatError);
  }
});

test('signed attributes: each once with one value, each value well-formed', () => {
  const contentType = attribute(CMS_OIDS.contentType, objectIdentifier(CMS_OIDS.data));
  const messageDigest = attribute(CMS_OIDS.messageDigest, octetString(digest));
  const cases: Array<[Uint8Array[], RegExp]> = [
    [[contentType, contentType, messageDigest], /must appear once/],
    [[attribute(CMS_OIDS.contentType, objectIdentifier(CMS_OIDS.data), objectIdentifier(CMS_OIDS.data)), messageDigest], /must appear once/],
    [[messageDigest], /contentType signed attribute is missing or malformed/],
    [[attribute(CMS_OIDS.contentType, octetString(digest)), messageDigest], /contentType signed attribute is missing or malformed/],
    [[contentType, attribute(CMS_OIDS.messageDigest, objectIdentifier(CMS_OIDS.data))], /messageDigest signed attribute is missing or malformed/],
    [[contentType, messageDigest, attribute(CMS_OIDS.signingTime, smallInteger(5))], /signingTime signed attribute is malformed/],
  ];
  for (const [attributes, detail] of cases) {
    const info = read(signerInfo(setOf(attributes)));
    const result = readSignedAttributes(info.signedAttributes!);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.detail, detail);
  }
  const withTime = read(signerInfo(setOf([contentType, messageDigest, attribute(CMS_OIDS.signingTime, time(signingTime))])));
  assert.deepEqual(readSignedAttributes(withTime.signedAttributes!), { ok: true, contentType: CMS_OIDS.data, messageDigest: digest, signingTime });
  assert.throws(() => read(signerInfo(contextTag(0))), CmsFormatError, 'empty signed attributes');
});

test('signing times read as asn1js reads them: both centuries of UTCTime, GeneralizedTime, odd forms', () => {
  const contentType = attribute(CMS_OIDS.contentType, objectIdentifier(CMS_OIDS.data));
  const messageDigest = attribute(CMS_OIDS.messageDigest, octetString(digest));
  const encodings = [
    tlv(0x17, Buffer.from('491231235959Z')), tlv(0x17, Buffer.from('500101000000Z')), tlv(0x17, Buffer.from('261124100000Z')),
    tlv(0x18, Buffer.from('20501231235959Z')), tlv(0x18, Buffer.from('20261124100000.5Z')), tlv(0x17, Buffer.from('2611241000Z')),
    tlv(0x17, Buffer.from('261324100000Z')), // month 13: whatever asn1js makes of it
  ];
  for (const encoding of encodings) {
    const info = read(signerInfo(setOf([contentType, messageDigest, attribute(CMS_OIDS.signingTime, encoding)])));
    const result = readSignedAttributes(info.signedAttributes!);
    const decoded = asn1js.fromBER(new Uint8Array(encoding)).result as asn1js.UTCTime;
    const expected = decoded.toDate();
    if (Number.isNaN(expected.getTime())) {
      assert.equal(result.ok, false, encoding.toString('latin1'));
    } else {
      assert.equal(result.ok && result.signingTime?.toISOString(), expected.toISOString(), encoding.toString('latin1'));
    }
  }
});
