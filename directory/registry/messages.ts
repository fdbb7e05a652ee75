/** Texts of the import meant for people (failures, reports), French by default, English on request. */
import type { Language } from './rejections.js';

type Params = Readonly<Record<string, string | number>>;

const FAILURES = {
  'empty': { fr: (p: Params) => `${p.file} est vide`, en: (p: Params) => `${p.file} is empty` },
  'header-encoding': {
    fr: (p: Params) => `${p.file} n’est pas en UTF-8 (son en-tête ne l’est pas : fichier en Windows-1252 ?). Convertissez-le : iconv -f WINDOWS-1252 -t UTF-8`,
    en: (p: Params) => `${p.file} is not UTF-8 (its header is not: a Windows-1252 file?). Convert it: iconv -f WINDOWS-1252 -t UTF-8`,
  },
  'file-encoding': {
    fr: (p: Params) => `${p.file} n’est pas en UTF-8 : la ligne ${p.line} ne l’est pas et aucune ligne accentuée valide ne la précède (fichier en Windows-1252 ?). Convertissez-le : iconv -f WINDOWS-1252 -t UTF-8`,
    en: (p: Params) => `${p.file} is not UTF-8: line ${p.line} is not, and no valid accented line comes before it (a Windows-1252 file?). Convert it: iconv -f WINDOWS-1252 -t UTF-8`,
  },
  'wrong-kind': {
    fr: (p: Params) => `${p.file} n’est pas un fichier ${p.expected} : son en-tête est celui d’un fichier ${p.found}`,
    en: (p: Params) => `${p.file} is not a ${p.expected} file: its header is that of a ${p.found} file`,
  },
  'missing-columns': {
    fr: (p: Params) => `${p.file} n’est pas un fichier ${p.expected} : colonnes absentes de l’en-tête : ${p.columns}`,
    en: (p: Params) => `${p.file} is not a ${p.expected} file: columns missing from the header: ${p.columns}`,
  },
  'mass-vanish': {
    fr: (p: Params) => `${p.file} : cet import marquerait disparus ${p.vanished} ${p.table} sur ${p.before} (${p.percent} %), plus que les ${p.limit} % admis (registry.maxVanishedPercent). Le fichier est-il complet ? Rien n’a été appliqué. S’il l’est : hygie registry import --allow-vanish`,
    en: (p: Params) => `${p.file}: this import would mark ${p.vanished} of ${p.before} ${p.table} vanished (${p.percent} %), more than the ${p.limit} % allowed (registry.maxVanishedPercent). Is the file complete? Nothing was applied. If it is: hygie registry import --allow-vanish`,
  },
} as const;

export type FailureCode = keyof typeof FAILURES;

export function failureText(code: FailureCode, params: Params, language: Language = 'fr'): string {
  return FAILURES[code][language](params);
}
