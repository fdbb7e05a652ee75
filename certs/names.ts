/**
 * Names in certificates, both ways: distinguished names (subject/issuer) and subject
 * alternative names (DNS, IP, e-mail). Encoding is done here, by hand, because pkijs
 * would put every attribute of a Name into one multi-valued RDN; we want the usual
 * one-attribute-per-RDN layout (C, O, OU, CN) that every client displays correctly.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { HygieError } from '../core/errors.js';

/** The attributes we issue with, in the order they are encoded (most general first). */
const DN_ATTRIBUTES = [
  { key: 'country', oid: '2.5.4.6', short: 'C', maxLength: 2, printable: true },
  { key: 'organisation', oid: '2.5.4.10', short: 'O', maxLength: 64, printable: false },
  { key: 'organisationalUnit', oid: '2.5.4.11', short: 'OU', maxLength: 64, printable: false },
  { key: 'commonName', oid: '2.5.4.3', short: 'CN', maxLength: 64, printable: false },
] as const;

export type DistinguishedName = { readonly [K in (typeof DN_ATTRIBUTES)[number]['key']]?: string };

/** Short names used when printing a name (RFC 4514 plus the usual extras). */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(DN_ATTRIBUTES.map((a) => [a.oid, a.short])),
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** DER-encodes a distinguished name as a pkijs object (kept byte-exact by pkijs). */
export function encodeName(name: DistinguishedName): pkijs.RelativeDistinguishedNames {
  const rdns: asn1js.Set[] = [];
  for (const attribute of DN_ATTRIBUTES) {
    const value = name[attribute.key];
    if (value === undefined) continue;
    if (value.trim() === '' || value.length > attribute.maxLength) {
      throw new HygieError('INVALID_INPUT', `${attribute.short} must be 1 to ${attribute.maxLength} characters: "${value}"`);
    }
    if (attribute.printable && !/^[A-Za-z0-9 '()+,\-./:=?]+$/.test(value)) {
      throw new HygieError('INVALID_INPUT', `${attribute.short} must be a PrintableString: "${value}"`);
    }
    const typed = attribute.printable ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value });
    rdns.push(new asn1js.Set({ value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: attribute.oid }), typed] })] }));
  }
  if (rdns.length === 0) throw new HygieError('INVALID_INPUT', 'a distinguished name needs at least one attribute');
  return pkijs.RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
}

/** A name as an RFC 4514 string ("CN=…,O=…", most specific first), UTF-8 left as is. */
export function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => `${SHORT_NAMES[tv.type] ?? tv.type}=${formatValue(tv.value)}`)
    .reverse()
    .join(',');
}

function formatValue(value: pkijs.AttributeTypeAndValue['value']): string {
  const block = (value as { valueBlock?: { value?: unknown } }).valueBlock;
  if (typeof block?.value !== 'string') return '#' + Buffer.from(value.toBER(false)).toString('hex');
  return block.value
    .replace(/[\\,+"<>;]/g, (c) => '\\' + c)
    .replace(/^[ #]/, (c) => '\\' + c)
    .replace(/ $/, '\\ ');
}

// ---------------------------------------------------------------------------------------
// Subject alternative names

export type SubjectAltName = { readonly dns: string } | { readonly ip: string } | { readonly email: string };

export type SubjectAltNameType = 'dns' | 'ip' | 'email';

export function subjectAltNameType(san: SubjectAltName): SubjectAltNameType {
  return 'dns' in san ? 'dns' : 'ip' in san ? 'ip' : 'email';
}

/**
 * The SAN entry for a host name or IP literal as an operator writes it in configuration:
 * brackets and a final dot removed, case folded, internationalised names as A-labels
 * (xn--…), the only form a dNSName may hold. Throws INVALID_INPUT when it is neither.
 */
export function hostSubjectAltName(raw: string): SubjectAltName {
  const trimmed = raw.trim().replace(/^\[(.*)\]$/, '$1');
  let san: SubjectAltName;
  if (isIP(trimmed)) {
    san = { ip: trimmed };
  } else {
    const ascii = domainToASCII(trimmed.replace(/\.$/, '').toLowerCase());
    san = { dns: ascii === '' ? trimmed : ascii };
  }
  encodeGeneralName(san);
  return san;
}

/** Canonical text of a SAN entry, for comparisons and de-duplication (IPv6 in one spelling). */
export function subjectAltNameKey(san: SubjectAltName): string {
  if ('dns' in san) return `dns:${san.dns.toLowerCase()}`;
  if ('ip' in san) return `ip:${bytesToIp(ipToBytes(san.ip))}`;
  return `email:${san.email}`;
}

/**
 * The SAN entry for a mailbox address: an rfc822Name with the domain lower-cased and in
 * A-labels (RFC 8398 §3: an ASCII local part keeps rfc822Name). Addresses whose local part
 * is not ASCII would need SmtpUTF8Mailbox (RFC 8398) and are refused.
 *
 * Choice: the address goes in subjectAltName only, never in the subject's emailAddress
 * attribute, which RFC 5280 §4.1.2.6 deprecates and RFC 8550 §3 only asks receivers to
 * still read; the subject's CN carries the address instead, as the CA/Browser Forum
 * S/MIME requirements allow for mailbox-validated certificates.
 */
export function mailboxSubjectAltName(address: string): { readonly email: string } {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf('@');
  const local = trimmed.slice(0, at);
  const domain = domainToASCII(trimmed.slice(at + 1).replace(/\.$/, '').toLowerCase());
  if (at <= 0 || domain === '') {
    throw new HygieError('INVALID_INPUT', `not a valid e-mail address for a certificate: "${address}"`);
  }
  if (!/^[\x21-\x7e]+$/.test(local)) {
    throw new HygieError('INVALID_INPUT', `internationalised local parts (SmtpUTF8Mailbox) are not supported: "${address}"`);
  }
  const san = { email: `${local}@${domain}` };
  encodeGeneralName(san);
  return san;
}

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A pkijs GeneralName for one SAN entry, validating its syntax. */
export function encodeGeneralName(san: SubjectAltName): pkijs.GeneralName {
  if ('dns' in san) {
    // dNSName is an IA5String: internationalised names must already be A-labels (xn--).
    if (san.dns.length > 253 || !DNS_NAME.test(san.dns)) {
      throw new HygieError('INVALID_INPUT', `not a valid DNS name for a certificate: "${san.dns}"`);
    }
    return new pkijs.GeneralName({ type: 2, value: san.dns });
  }
  if ('ip' in san) {
    return new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: ipToBytes(san.ip) }) });
  }
  if (!/^[\x21-\x7e]+@[a-z0-9.-]+$/i.test(san.email)) {
    throw new HygieError('INVALID_INPUT', `not a valid e-mail address for a certificate: "${san.email}"`);
  }
  return new pkijs.GeneralName({ type: 1, value: san.email });
}

/** Reads the SAN entries we understand back from a GeneralName list; others are skipped. */
export function decodeGeneralNames(names: readonly pkijs.GeneralName[]): SubjectAltName[] {
  const out: SubjectAltName[] = [];
  for (const name of names) {
    if (name.type === 2) out.push({ dns: String(name.value) });
    else if (name.type === 1) out.push({ email: String(name.value) });
    else if (name.type === 7 && name.value instanceof asn1js.OctetString) {
      out.push({ ip: bytesToIp(name.value.valueBlock.valueHexView) });
    }
  }
  return out;
}

/** Network-order bytes of an IPv4 or IPv6 address (as the iPAddress SAN holds them). */
export function ipToBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return new Uint8Array(ip.split('.').map(Number));
  if (!isIPv6(ip) || ip.includes('%')) throw new HygieError('INVALID_INPUT', `not an IP address: "${ip}"`);
  const groups = (part: string): number[] =>
    part === '' ? [] : part.split(':').flatMap((g) => {
      if (!g.includes('.')) return [parseInt(g, 16)];
      const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
      return [(a << 8) | b, (c << 8) | d];
    });
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const all = [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
  return new Uint8Array(all.flatMap((g) => [g >> 8, g & 0xff]));
}

/** Text form of an address from its bytes; IPv6 in the RFC 5952 compressed form. */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return Buffer.from(bytes).toString('hex');
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  // Compress the longest run (at least two) of zero groups, the first one on a tie.
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}
