/**
 * Reads the MSSanté trust list as the national authority publishes it
 * (listeblanchemssante.xml): namespace `https://listeblanche.mssante.fr/schema`, each
 * trusted domain in `Domaine/Nom`, some in Unicode (IDN) form, and a generation date.
 * Tolerant of namespace prefixes, CDATA, entities and comments, strict about what makes
 * the file usable: the namespace must be the list's and it must name at least one domain.
 * A tiny purpose-built reader rather than an XML library: the format is flat and fixed.
 */
import { domainToASCII } from 'node:url';
import { HygieError } from '../../core/errors.js';

export const TRUST_LIST_NAMESPACE = 'https://listeblanche.mssante.fr/schema';

export interface ParsedTrustList {
  /** ASCII (punycode) lower-case domain names, unique, sorted. */
  domains: string[];
  /** The list's own generation date, as written in the file, when it has one. */
  generatedAt: string | null;
  /** Entries that are not domain names, with why. */
  rejected: Array<{ value: string; reason: string }>;
}

export function parseTrustList(xml: string): ParsedTrustList {
  const text = xml.replace(/^\uFEFF/, '').replace(/<!--[\s\S]*?-->/g, '');
  if (!text.includes(TRUST_LIST_NAMESPACE)) {
    throw new HygieError('INVALID_INPUT', `not an MSSanté trust list: the namespace ${TRUST_LIST_NAMESPACE} is not declared`);
  }
  const domains = new Set<string>();
  const rejected: ParsedTrustList['rejected'] = [];
  const block = /<(?:[\w.-]+:)?Domaine\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?Domaine\s*>/g;
  for (const match of text.matchAll(block)) {
    const name = /<(?:[\w.-]+:)?Nom\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?Nom\s*>/.exec(match[1]!);
    if (!name) continue;
    const value = decodeXmlText(name[1]!).trim();
    const ascii = domainToASCII(value.toLowerCase());
    if (!ascii || !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(ascii)) {
      rejected.push({ value, reason: 'not a domain name' });
      continue;
    }
    domains.add(ascii);
  }
  if (domains.size === 0) throw new HygieError('INVALID_INPUT', 'the trust list names no domain (no Domaine/Nom element)');
  return { domains: [...domains].sort(), generatedAt: generationDate(text), rejected };
}

/** `dateGeneration` as an attribute or an element, whatever its case or prefix. */
function generationDate(text: string): string | null {
  const attribute = /\bdate_?generation\s*=\s*"([^"]+)"/i.exec(text);
  if (attribute) return decodeXmlText(attribute[1]!).trim();
  const element = /<(?:[\w.-]+:)?date_?generation\b[^>]*>([\s\S]*?)<\//i.exec(text);
  return element ? decodeXmlText(element[1]!).trim() : null;
}

function decodeXmlText(text: string): string {
  const cdata = /^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/.exec(text);
  if (cdata) return cdata[1]!;
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}
