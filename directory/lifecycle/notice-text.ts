/**
 * The words of a lifecycle notice, in French by default or in English: which box, what
 * will happen, on which date, and how to avoid it (log in before that date). It goes to
 * the box and to the owner's usual, non-secure address, so it holds nothing but the box's
 * name, addresses and dates: never any health data.
 */
import type { AddressNetwork } from '../types.js';
import type { LifecycleNotice } from './types.js';

export type NoticeLanguage = 'fr' | 'en';

export interface NoticeTextOptions {
  language?: NoticeLanguage;
  /** Signs the notice ("Plateforme e-santé de Bretagne"). */
  operatorName?: string;
  /** Where to log in, when the operator has a webmail. */
  webmailUrl?: string;
  /** Dates are shown in this zone (default Europe/Paris). */
  timeZone?: string;
}

export interface NoticeText {
  subject: string;
  text: string;
}

interface Words {
  locale: string;
  networks: Record<AddressNetwork, string>;
  subject(reminder: boolean, step: LifecycleNotice['step'], address: string, date: string): string;
  silence(name: string, address: string, since: string): string;
  consequence(step: LifecycleNotice['step'], date: string): string;
  remedy(step: LifecycleNotice['step'], date: string, webmailUrl: string | undefined): string;
  addresses: string;
  footer: string;
}

const FRENCH: Words = {
  locale: 'fr-FR',
  networks: { mssante: 'MSSanté', regional: 'messagerie sécurisée régionale', apicrypt: 'Apicrypt' },
  subject: (reminder, step, address, date) => `${reminder ? 'Rappel : v' : 'V'}otre messagerie sécurisée ${address} sera ${
    step === 'unpublish' ? 'retirée de l\'annuaire' : 'supprimée'} le ${date}`,
  silence: (name, address, since) =>
    `La boîte aux lettres de messagerie sécurisée de santé « ${name} » (${address}) n'a fait l'objet d'aucune connexion depuis le ${since}.`,
  consequence: (step, date) => step === 'unpublish'
    ? `Sans connexion avant le ${date}, elle sera retirée de l'annuaire des professionnels de santé à cette date : vos correspondants ne l'y trouveront plus. Elle restera en service et continuera de recevoir les messages.`
    : `Sans connexion avant le ${date}, elle sera supprimée à cette date : il ne sera plus possible de s'y connecter, et les messages envoyés à ses adresses seront refusés.`,
  remedy: (step, date, url) => `Pour ${step === 'unpublish' ? 'l\'éviter' : 'la conserver'}, il suffit de vous connecter à votre messagerie (webmail, logiciel de messagerie ou logiciel métier) avant le ${date}${
    url ? ` : ${url}` : ''}.${step === 'unpublish' ? ' Une connexion la remet aussi dans l\'annuaire si elle en a été retirée.' : ''}`,
  addresses: 'Adresses de cette boîte :',
  footer: 'Ce message automatique ne contient aucune donnée de santé. Merci de ne pas y répondre.',
};

const ENGLISH: Words = {
  locale: 'en-GB',
  networks: { mssante: 'MSSanté', regional: 'regional secure messaging', apicrypt: 'Apicrypt' },
  subject: (reminder, step, address, date) => `${reminder ? 'Reminder: y' : 'Y'}our secure mailbox ${address} will be ${
    step === 'unpublish' ? 'removed from the directory' : 'deleted'} on ${date}`,
  silence: (name, address, since) => `Nobody has logged in to the secure health mailbox "${name}" (${address}) since ${since}.`,
  consequence: (step, date) => step === 'unpublish'
    ? `Without a login before ${date}, it will be removed from the health professionals' directory on that date: your correspondents will no longer find it there. It will stay in service and keep receiving messages.`
    : `Without a login before ${date}, it will be deleted on that date: nobody will be able to log in to it, and messages sent to its addresses will be refused.`,
  remedy: (step, date, url) => `To ${step === 'unpublish' ? 'prevent this' : 'keep it'}, simply log in to your mailbox (webmail, mail client or practice software) before ${date}${
    url ? `: ${url}` : ''}.${step === 'unpublish' ? ' A login also puts it back in the directory if it was removed.' : ''}`,
  addresses: 'Addresses of this mailbox:',
  footer: 'This automatic message contains no health data. Please do not reply.',
};

/** The address people know the box by: its MSSanté one when it has one. */
export function mainAddress(notice: Pick<LifecycleNotice, 'addresses'>): string {
  const byPreference = ['mssante', 'regional', 'apicrypt'].map((network) => notice.addresses.find((a) => a.network === network));
  return (byPreference.find((a) => a !== undefined) ?? notice.addresses[0])?.address ?? '';
}

export function noticeText(notice: LifecycleNotice, options: NoticeTextOptions = {}): NoticeText {
  const words = options.language === 'en' ? ENGLISH : FRENCH;
  const dateFormat = new Intl.DateTimeFormat(words.locale, { dateStyle: 'long', timeZone: options.timeZone ?? 'Europe/Paris' });
  const date = dateFormat.format(new Date(notice.dueAt));
  const address = mainAddress(notice);
  const text = [
    options.language === 'en' ? 'Hello,' : 'Bonjour,',
    words.silence(notice.displayName, address, dateFormat.format(new Date(notice.silentSince))),
    words.consequence(notice.step, date),
    words.remedy(notice.step, date, options.webmailUrl),
    [words.addresses, ...notice.addresses.map((a) => `  - ${a.address} (${words.networks[a.network]})`)].join('\n'),
    [words.footer, ...(options.operatorName ? [options.operatorName] : [])].join('\n'),
  ].join('\n\n');
  return { subject: words.subject(notice.kind === 'reminder', notice.step, address, date), text: text + '\n' };
}
