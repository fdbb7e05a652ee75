/**
 * The import as people read it at the end of a run and in the history: lines read,
 * accepted, rejected (with the first reasons), what each table gained, changed and lost,
 * and how long it took. French by default, English on request.
 */
import type { ImportResult, StoredRejection, TableFigures } from './importer.js';
import type { ImportKind } from './kinds.js';
import { rejectionLabel, type Language, type RejectionCode } from './rejections.js';
import type { ImportSummary, ProfessionalRecord } from './service.js';

const TEXT = {
  fr: {
    import: 'Import', extracted: 'extraction du', failed: 'ÉCHEC', lines: 'lignes lues', accepted: 'acceptées', rejected: 'rejetées',
    line: 'ligne', added: 'ajoutés', updated: 'modifiés', unchanged: 'inchangés', vanished: 'disparus', duration: 'durée',
    perSecond: 'lignes/s', duplicates: 'lignes en double fusionnées', kept: 'gardés (ligne rejetée)', more: 'autres rejets', showRejections: 'voir : hygie registry rejections',
    noImports: 'Aucun import pour l’instant. Importez un fichier : hygie registry import FICHIER…',
    noRejections: 'Aucune ligne rejetée enregistrée pour cet import.',
    tables: {
      professionals: 'professionnels', structures: 'structures', activities: 'activités', professional_skills: 'savoir-faire',
      professional_diplomas: 'diplômes et autorisations', registry_addresses: 'adresses',
    } as Record<string, string>,
    kinds: {
      'personne-activite': 'Personne_activite', 'savoir-faire': 'SavoirFaire', 'diplomes': 'Dipl_AutExerc',
      'mssante': 'MSSanté', 'regional-addresses': 'liste régionale',
    } as Record<ImportKind, string>,
    vanishedMark: 'disparu le', visible: 'publiée', hidden: 'non publiée', hosted: 'hébergée ici', activity: 'Activité',
    skills: 'Savoir-faire', diplomas: 'Diplômes et autorisations', addresses: 'Adresses sécurisées', none: 'aucune',
    phone: 'tél.', fax: 'fax', source: 'source', colon: ' :', status: { running: 'en cours', done: 'terminé', failed: 'échec' } as Record<string, string>,
  },
  en: {
    import: 'Import', extracted: 'extraction of', failed: 'FAILED', lines: 'lines read', accepted: 'accepted', rejected: 'rejected',
    line: 'line', added: 'added', updated: 'updated', unchanged: 'unchanged', vanished: 'vanished', duration: 'duration',
    perSecond: 'lines/s', duplicates: 'duplicate lines merged', kept: 'kept (line rejected)', more: 'more rejections', showRejections: 'see: hygie registry rejections',
    noImports: 'No import yet. Import a file: hygie registry import FILE…',
    noRejections: 'No rejected line stored for this import.',
    tables: {
      professionals: 'professionals', structures: 'structures', activities: 'activities', professional_skills: 'skills',
      professional_diplomas: 'diplomas and authorisations', registry_addresses: 'addresses',
    } as Record<string, string>,
    kinds: {
      'personne-activite': 'Personne_activite', 'savoir-faire': 'SavoirFaire', 'diplomes': 'Dipl_AutExerc',
      'mssante': 'MSSanté', 'regional-addresses': 'regional list',
    } as Record<ImportKind, string>,
    vanishedMark: 'vanished on', visible: 'published', hidden: 'not published', hosted: 'hosted here', activity: 'Activity',
    skills: 'Skills', diplomas: 'Diplomas and authorisations', addresses: 'Secure addresses', none: 'none',
    phone: 'tel.', fax: 'fax', source: 'source', colon: ':', status: { running: 'running', done: 'done', failed: 'failed' } as Record<string, string>,
  },
} as const;

export function formatNumber(n: number, language: Language): string {
  return Math.round(n).toLocaleString(language === 'fr' ? 'fr-FR' : 'en-GB');
}

function formatSeconds(ms: number, language: Language): string {
  return `${(ms / 1000).toLocaleString(language === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 1, minimumFractionDigits: 1 })} s`;
}

/** YYYYMMDDhhmm → DD/MM/YYYY hh:mm. */
function extractionDate(value: string | null): string {
  if (!value || !/^\d{12}$/.test(value)) return value ?? '';
  return `${value.slice(6, 8)}/${value.slice(4, 6)}/${value.slice(0, 4)} ${value.slice(8, 10)}:${value.slice(10, 12)}`;
}

/** A registry table as people call it: professionnels, activités… */
export function tableLabel(name: string, language: Language): string {
  return TEXT[language].tables[name] ?? name;
}

function tableLine(name: string, f: TableFigures, language: Language): string {
  const t = TEXT[language];
  return `  ${tableLabel(name, language).padEnd(28)} +${formatNumber(f.added, language)} ${t.added}, ~${formatNumber(f.updated, language)} ${t.updated}, `
    + `${formatNumber(f.unchanged, language)} ${t.unchanged}, -${formatNumber(f.vanished, language)} ${t.vanished}`;
}

function rejectionSummary(byCode: Partial<Record<RejectionCode, number>>, language: Language): string {
  return Object.entries(byCode).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([code, n]) => `${rejectionLabel(code as RejectionCode, language)}${TEXT[language].colon} ${formatNumber(n ?? 0, language)}`).join(', ');
}

/** The report printed at the end of an import. */
export function formatImportResult(result: ImportResult, language: Language = 'fr'): string {
  const t = TEXT[language];
  const lines = [
    `${t.import} ${result.id} — ${t.kinds[result.kind]} (${result.location})${result.extractionDate ? `, ${t.extracted} ${extractionDate(result.extractionDate)}` : ''}`
      + (result.status === 'failed' ? ` — ${t.failed}` : ''),
  ];
  if (result.error) lines.push(`  ${result.error}`);
  lines.push(`  ${t.lines.padEnd(28)} ${formatNumber(result.lines, language)}`);
  if (result.status === 'done') lines.push(`  ${t.accepted.padEnd(28)} ${formatNumber(result.accepted, language)}`);
  lines.push(`  ${t.rejected.padEnd(28)} ${formatNumber(result.rejected, language)}${result.rejected ? `  (${rejectionSummary(result.rejectionsByCode, language)})` : ''}`);
  for (const r of result.firstRejections) lines.push(`      ${t.line} ${r.line}${t.colon} ${r.reason}`);
  if (result.rejected > result.firstRejections.length) {
    lines.push(`      … ${formatNumber(result.rejected - result.firstRejections.length, language)} ${t.more} (${t.showRejections} ${result.id})`);
  }
  for (const [name, figures] of Object.entries(result.tables)) lines.push(tableLine(name, figures, language));
  if (result.notes.duplicates) lines.push(`  ${t.duplicates.padEnd(28)} ${formatNumber(result.notes.duplicates, language)}`);
  if (result.notes.keptDespiteRefusal) lines.push(`  ${t.kept.padEnd(28)} ${formatNumber(result.notes.keptDespiteRefusal, language)}`);
  const rate = result.lines / Math.max(result.durationMs / 1000, 0.001);
  lines.push(`  ${t.duration.padEnd(28)} ${formatSeconds(result.durationMs, language)} (${formatNumber(rate, language)} ${t.perSecond})`);
  return lines.join('\n');
}

/** The history of imports, one per line, newest first. */
export function formatImportList(imports: readonly ImportSummary[], language: Language = 'fr'): string {
  const t = TEXT[language];
  if (imports.length === 0) return t.noImports;
  return imports.map((i) => {
    const head = `${String(i.id).padStart(5)}  ${i.startedAt.slice(0, 19).replace('T', ' ')}  ${t.kinds[i.kind].padEnd(17)} ${(t.status[i.status] ?? i.status).padEnd(9)}`;
    const counts = `${formatNumber(i.lines, language)} ${t.lines}, ${formatNumber(i.rejected, language)} ${t.rejected}, `
      + `+${formatNumber(i.added, language)} ~${formatNumber(i.updated, language)} -${formatNumber(i.vanished, language)}`;
    return `${head} ${i.fileName}\n         ${counts}${i.error ? `\n         ${i.error}` : ''}`;
  }).join('\n');
}

export function formatRejections(rejections: readonly StoredRejection[], language: Language = 'fr'): string {
  const t = TEXT[language];
  if (rejections.length === 0) return t.noRejections;
  return rejections.map((r) => `${t.line} ${r.line}${t.colon} ${r.reason}${r.excerpt ? `\n    ${r.excerpt.length > 160 ? `${r.excerpt.slice(0, 160)}…` : r.excerpt}` : ''}`).join('\n');
}

/** A professional with activities, skills, diplomas and addresses. */
export function formatProfessional(p: ProfessionalRecord, language: Language = 'fr'): string {
  const t = TEXT[language];
  const vanished = (at: string | null): string => (at ? ` [${t.vanishedMark} ${at.slice(0, 10)}]` : '');
  const identifier = p.idType === '8' ? `RPPS ${p.identifier}` : `ADELI ${p.identifier}`;
  const lines = [
    `${[p.exerciseCivility ?? p.civility, p.firstName, p.lastName].filter((v) => v).join(' ')} — ${identifier} (${p.nationalId})${vanished(p.vanishedAt)}`,
    `  ${[p.profession, p.category].filter((v) => v).join(', ')}`,
  ];
  lines.push(`${t.skills}${t.colon}${p.skills.length ? '' : ` ${t.none}`}`);
  for (const s of p.skills) lines.push(`  ${s.label ?? s.code} (${[s.typeLabel, s.code].filter((v) => v).join(', ')})${vanished(s.vanishedAt)}`);
  if (p.diplomas.length) {
    lines.push(`${t.diplomas}${t.colon}`);
    for (const d of p.diplomas) lines.push(`  ${d.label ?? d.typeLabel ?? d.code} (${[d.typeLabel, d.code].filter((v) => v).join(', ')})${vanished(d.vanishedAt)}`);
  }
  for (const [n, a] of p.activities.entries()) {
    lines.push(`${t.activity} ${n + 1}${t.colon} ${[a.mode, a.role, a.sector, a.genre, a.pharmacySection].filter((v) => v).join(', ')}${vanished(a.vanishedAt)}`);
    const s = a.structure;
    if (s) {
      lines.push(`  ${s.name ?? s.tradeName ?? s.technicalId}${s.finessSite ? ` (FINESS ${s.finessSite})` : s.siret ? ` (SIRET ${s.siret})` : ''}${vanished(s.vanishedAt)}`);
      for (const l of s.address) lines.push(`  ${l}`);
      if (s.postalCode || s.city) lines.push(`  ${[s.postalCode, s.city].filter((v) => v).join(' ')}`);
      const contact = [s.phone && `${t.phone} ${s.phone}`, s.fax && `${t.fax} ${s.fax}`, s.email].filter((v) => v);
      if (contact.length) lines.push(`  ${contact.join(' · ')}`);
    }
  }
  lines.push(`${t.addresses}${t.colon}${p.addresses.length ? '' : ` ${t.none}`}`);
  for (const a of p.addresses) {
    lines.push(`  ${a.network.padEnd(9)} ${a.address}  (${a.boxType}, ${a.source === 'hosted' ? t.hosted : `${t.source} ${a.source}`}, ${a.visible ? t.visible : t.hidden})`);
  }
  return lines.join('\n');
}
