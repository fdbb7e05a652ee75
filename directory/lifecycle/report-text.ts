/**
 * Sweep reports and plans as operators read them on a terminal (`hygie lifecycle …`):
 * French by default, English available. Dates in the operator's zone (Europe/Paris).
 */
import type { LifecycleStep } from './rules.js';
import type { BoxPlan, LifecyclePlan, PlannedActionKind, SweepReport } from './types.js';

type Language = 'fr' | 'en';

const WORDS = {
  fr: {
    locale: 'fr-FR',
    colon: ' : ',
    sweep: (at: string, dry: boolean) => `Cycle de vie des boîtes au ${at}${dry ? ' (simulation : rien n\'a été modifié ni envoyé)' : ''}`,
    step: { unpublish: 'retrait de l\'annuaire', delete: 'suppression' } as Record<LifecycleStep, string>,
    counts: (notices: number, reminders: number, done: number, step: LifecycleStep) =>
      `${notices} avis, ${reminders} rappel(s), ${done} boîte(s) ${step === 'unpublish' ? 'retirée(s)' : 'supprimée(s)'}`,
    delivery: (d: SweepReport['delivery']) =>
      `avis remis : ${d.delivered}, en échec : ${d.failed}, caducs : ${d.obsolete}, échéance reportée : ${d.postponed}, en attente : ${d.pending}`,
    plan: (count: number, until: string) => `${count} boîte(s) concernée(s) d'ici le ${until}`,
    action: { notice: 'avis', reminder: 'rappel', unpublish: 'retrait de l\'annuaire', delete: 'suppression' } as Record<PlannedActionKind, string>,
    next: 'prochaine étape',
    on: 'le',
    noticeSent: 'avis envoyé le',
    noticeDue: 'avis le',
    reminder: 'rappel le',
    silent: 'sans connexion depuis le',
    nothing: 'aucune étape prévue',
    more: (n: number) => `… et ${n} autre(s)`,
  },
  en: {
    locale: 'en-GB',
    colon: ': ',
    sweep: (at: string, dry: boolean) => `Mailbox lifecycle at ${at}${dry ? ' (dry run: nothing changed or sent)' : ''}`,
    step: { unpublish: 'unpublication', delete: 'deletion' } as Record<LifecycleStep, string>,
    counts: (notices: number, reminders: number, done: number, step: LifecycleStep) =>
      `${notices} notice(s), ${reminders} reminder(s), ${done} box(es) ${step === 'unpublish' ? 'unpublished' : 'deleted'}`,
    delivery: (d: SweepReport['delivery']) =>
      `notices delivered: ${d.delivered}, failed: ${d.failed}, obsolete: ${d.obsolete}, step postponed: ${d.postponed}, pending: ${d.pending}`,
    plan: (count: number, until: string) => `${count} box(es) concerned until ${until}`,
    action: { notice: 'notice', reminder: 'reminder', unpublish: 'unpublication', delete: 'deletion' } as Record<PlannedActionKind, string>,
    next: 'next',
    on: 'on',
    noticeSent: 'notice sent',
    noticeDue: 'notice',
    reminder: 'reminder',
    silent: 'no connection since',
    nothing: 'no step ahead',
    more: (n: number) => `… and ${n} more`,
  },
} as const;

function formatter(language: Language): (iso: string) => string {
  const format = new Intl.DateTimeFormat(WORDS[language].locale, { dateStyle: 'short', timeZone: 'Europe/Paris' });
  return (iso) => format.format(new Date(iso));
}

export function describeSweep(report: SweepReport, language: Language = 'fr'): string {
  const w = WORDS[language];
  const at = new Intl.DateTimeFormat(w.locale, { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Paris' }).format(new Date(report.at));
  const lines = [w.sweep(at, report.dryRun)];
  for (const step of ['unpublish', 'delete'] as const) {
    const c = report[step];
    lines.push(`  ${w.step[step]}${w.colon}${w.counts(c.notices, c.reminders, c.done, step)}`);
  }
  if (!report.dryRun) lines.push(`  ${w.delivery(report.delivery)}`);
  return lines.join('\n');
}

export function describePlan(plan: LifecyclePlan, language: Language = 'fr'): string {
  const w = WORDS[language];
  const date = formatter(language);
  const lines = [w.plan(plan.total, date(plan.until))];
  for (const box of plan.boxes) lines.push(...describeBox(box, language, date));
  if (plan.total > plan.boxes.length) lines.push(w.more(plan.total - plan.boxes.length));
  return lines.join('\n');
}

function describeBox(box: BoxPlan, language: Language, date: (iso: string) => string): string[] {
  const w = WORDS[language];
  const head = `${String(box.mailboxId).padStart(8)}  ${box.displayName} (${box.type}), ${w.silent} ${date(box.silentSince)}`;
  const next = box.next ? `${w.next}${w.colon}${w.action[box.next.action]} ${w.on} ${date(box.next.at)}` : w.nothing;
  return [
    `${head} — ${next}`,
    ...box.steps.map((s) => `          ${w.step[s.step]} ${w.on} ${date(s.dueAt)} (${s.noticeSent ? w.noticeSent : w.noticeDue} ${date(s.noticeAt)}${
      s.reminderAt ? `, ${w.reminder} ${date(s.reminderAt)}` : ''})`),
  ];
}
