/**
 * Why a line is refused. A mapper throws `Rejected` (a plain object, not an Error: bad
 * lines can be numerous and need no stack); the import stores the first ones with their
 * line number and counts them all by code. Texts are French by default, English on request.
 */

export type Language = 'fr' | 'en';

export type RejectionCode =
  | 'encoding' | 'replacement-character' | 'column-count' | 'id-type' | 'rpps' | 'adeli' | 'national-id'
  | 'missing' | 'too-long' | 'invalid-value' | 'unknown-professional';

export type RejectionParams = Readonly<Record<string, string | number>>;

export class Rejected {
  constructor(readonly code: RejectionCode, readonly params: RejectionParams = {}) {}
}

export interface LineRejection {
  line: number;
  code: RejectionCode;
  params: RejectionParams;
  /** The start of the line, as read. */
  excerpt: string;
}

type Texts = Record<RejectionCode, (p: RejectionParams) => string>;

/** What an `invalid-value` rejection expected, by its `expected` parameter. */
export type ExpectedValue = 'address' | 'box-type' | 'network' | 'identifier';

const EXPECTED: Record<Language, Record<ExpectedValue, string>> = {
  fr: {
    'address': 'adresse de messagerie attendue',
    'box-type': 'PER, ORG ou APP',
    'network': 'apicrypt ou smime',
    'identifier': 'RPPS (11 chiffres), ADELI (9 caractères) ou identification nationale',
  },
  en: {
    'address': 'e-mail address expected',
    'box-type': 'PER, ORG or APP',
    'network': 'apicrypt or smime',
    'identifier': 'RPPS (11 digits), ADELI (9 characters) or national identifier',
  },
};

const FRENCH: Texts = {
  'encoding': () => 'ligne qui n’est pas en UTF-8 (fichier enregistré en Windows-1252 ?)',
  'replacement-character': () => 'caractère de remplacement U+FFFD : le texte a été mal décodé avant ce fichier',
  'column-count': (p) => `${p.found} colonnes au lieu de ${p.expected}`,
  'id-type': (p) => `type d’identifiant « ${p.value} » inconnu (8 pour RPPS, 0 pour ADELI)`,
  'rpps': (p) => `RPPS « ${p.value} » invalide : ${p.why === 'key' ? 'clé de contrôle fausse' : '11 chiffres attendus'}`,
  'adeli': (p) => `ADELI « ${p.value} » invalide : 9 caractères attendus (département puis 7 chiffres)`,
  'national-id': (p) => `identification nationale « ${p.value} » différente du type suivi de l’identifiant (« ${p.expected} »)`,
  'missing': (p) => `champ obligatoire vide : « ${p.column} »`,
  'too-long': (p) => `« ${p.column} » trop long (${p.length} caractères, ${p.max} au plus)`,
  'invalid-value': (p) => `« ${p.column} » : valeur « ${p.value} » invalide (${EXPECTED.fr[p.expected as ExpectedValue]})`,
  'unknown-professional': (p) => `professionnel ${p.value} absent de l’annuaire (importer Personne_activite d’abord)`,
};

const ENGLISH: Texts = {
  'encoding': () => 'line is not UTF-8 (a file saved as Windows-1252?)',
  'replacement-character': () => 'replacement character U+FFFD: the text was decoded wrongly before this file',
  'column-count': (p) => `${p.found} columns instead of ${p.expected}`,
  'id-type': (p) => `unknown identifier type "${p.value}" (8 for RPPS, 0 for ADELI)`,
  'rpps': (p) => `invalid RPPS "${p.value}": ${p.why === 'key' ? 'wrong check digit' : '11 digits expected'}`,
  'adeli': (p) => `invalid ADELI "${p.value}": 9 characters expected (department then 7 digits)`,
  'national-id': (p) => `national identifier "${p.value}" is not the type followed by the identifier ("${p.expected}")`,
  'missing': (p) => `mandatory field empty: "${p.column}"`,
  'too-long': (p) => `"${p.column}" too long (${p.length} characters, at most ${p.max})`,
  'invalid-value': (p) => `"${p.column}": invalid value "${p.value}" (${EXPECTED.en[p.expected as ExpectedValue]})`,
  'unknown-professional': (p) => `professional ${p.value} is not in the directory (import Personne_activite first)`,
};

const LABELS: Record<Language, Record<RejectionCode, string>> = {
  fr: {
    'encoding': 'pas en UTF-8', 'replacement-character': 'caractère U+FFFD', 'column-count': 'nombre de colonnes',
    'id-type': 'type d’identifiant', 'rpps': 'RPPS invalide', 'adeli': 'ADELI invalide', 'national-id': 'identification nationale incohérente',
    'missing': 'champ obligatoire vide', 'too-long': 'valeur trop longue', 'invalid-value': 'valeur invalide', 'unknown-professional': 'professionnel inconnu',
  },
  en: {
    'encoding': 'not UTF-8', 'replacement-character': 'U+FFFD character', 'column-count': 'column count',
    'id-type': 'identifier type', 'rpps': 'invalid RPPS', 'adeli': 'invalid ADELI', 'national-id': 'inconsistent national identifier',
    'missing': 'mandatory field empty', 'too-long': 'value too long', 'invalid-value': 'invalid value', 'unknown-professional': 'unknown professional',
  },
};

export function rejectionText(code: RejectionCode, params: RejectionParams, language: Language = 'fr'): string {
  return (language === 'en' ? ENGLISH : FRENCH)[code](params);
}

/** A short name for the kind of rejection, for summaries. */
export function rejectionLabel(code: RejectionCode, language: Language = 'fr'): string {
  return LABELS[language][code];
}
