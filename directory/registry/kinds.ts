/**
 * The kinds of file the registry import knows, in the order they must be imported when
 * given together (skills, diplomas and addresses link to professionals), and how a file
 * name tells its kind.
 */
import { HygieError } from '../../core/errors.js';

export type ImportKind = 'personne-activite' | 'savoir-faire' | 'diplomes' | 'mssante' | 'regional-addresses';

export const IMPORT_KINDS: readonly ImportKind[] = ['personne-activite', 'savoir-faire', 'diplomes', 'mssante', 'regional-addresses'];

const NAME_PATTERNS: ReadonlyArray<[RegExp, ImportKind]> = [
  [/PS_LibreAcces_Personne_activite/i, 'personne-activite'],
  [/PS_LibreAcces_SavoirFaire/i, 'savoir-faire'],
  [/PS_LibreAcces_Dipl_AutExerc/i, 'diplomes'],
  [/Extraction_Correspondance_MSSante/i, 'mssante'],
  [/\.csv$/i, 'regional-addresses'],
];

/** The kind a file name announces, or undefined. */
export function kindOfFileName(name: string): ImportKind | undefined {
  return NAME_PATTERNS.find(([pattern]) => pattern.test(name))?.[1];
}

/** YYYYMMDDhhmm from a published file name (`…_202611240830.txt`), when it has one. */
export function extractionDateOf(name: string): string | undefined {
  return /_(\d{12})\.(?:txt|zip|csv)$/i.exec(name)?.[1];
}

export function parseKind(value: string): ImportKind {
  const kind = IMPORT_KINDS.find((k) => k === value);
  if (!kind) throw new HygieError('INVALID_INPUT', `unknown import kind "${value}": expected one of ${IMPORT_KINDS.join(', ')}`);
  return kind;
}

export function kindOrder(kind: ImportKind): number {
  return IMPORT_KINDS.indexOf(kind);
}
