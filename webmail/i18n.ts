import type { SecurityVerdict } from './message-reader.js';
/**
 * Every user-visible text of the webmail, in French (the default) and English, with the
 * locale-dependent formatting of dates and sizes, and the choice of language for a request.
 */

export type Language = 'fr' | 'en';

export const LANGUAGES: readonly Language[] = ['fr', 'en'];

export function isLanguage(value: unknown): value is Language {
  return value === 'fr' || value === 'en';
}

export interface Strings {
  /** The language's own name, for the language switch. */
  languageName: string;
  product: string;
  skipToContent: string;
  languageNav: string;
  signedInAs: string;
  logout: string;
  login: {
    title: string;
    heading: string;
    intro: string;
    loginLabel: string;
    loginHint: string;
    passwordLabel: string;
    submit: string;
    failed: string;
    missingFields: string;
    rateLimited: string;
    formExpired: string;
    sessionExpired: string;
    loggedOut: string;
  };
  inbox: {
    title: string;
    caption: string;
    empty: string;
    from: string;
    subject: string;
    received: string;
    size: string;
    unread: string;
    unreadCount(count: number): string;
    messageCount(count: number): string;
  };
  message: {
    back: string;
    from: string;
    to: string;
    cc: string;
    date: string;
    subject: string;
    noSubject: string;
    noBody: string;
    htmlNotConverted: string;
    attachments(count: number): string;
    unnamedAttachment: string;
    security: string;
    verdict(verdict: SecurityVerdict): string;
  };
  errors: {
    notFoundTitle: string;
    notFoundText: string;
    methodNotAllowedTitle: string;
    methodNotAllowedText: string;
    forbiddenTitle: string;
    forbiddenText: string;
    tooLargeTitle: string;
    tooLargeText: string;
    badRequestTitle: string;
    badRequestText: string;
    serverErrorTitle: string;
    serverErrorText: string;
    home: string;
  };
  /** The suffixes of byte sizes: bytes, kilobytes, megabytes, gigabytes. */
  sizeUnits: readonly [string, string, string, string];
  /** BCP 47 locale for Intl formatting. */
  locale: string;
}

const NBSP = '\u00a0';

const fr: Strings = {
  languageName: 'Français',
  product: 'Messagerie sécurisée de santé',
  skipToContent: 'Aller au contenu',
  languageNav: 'Langue',
  signedInAs: 'Connecté en tant que',
  logout: 'Se déconnecter',
  login: {
    title: 'Connexion',
    heading: 'Connexion à votre messagerie sécurisée',
    intro: 'Saisissez l’une de vos adresses de messagerie et votre mot de passe.',
    loginLabel: 'Identifiant',
    loginHint: 'Votre adresse de messagerie sécurisée, par exemple prenom.nom@…',
    passwordLabel: 'Mot de passe',
    submit: 'Se connecter',
    failed: 'Identifiant ou mot de passe incorrect.',
    missingFields: 'Veuillez saisir votre identifiant et votre mot de passe.',
    rateLimited: `Trop de tentatives de connexion échouées. Veuillez réessayer dans quelques minutes.`,
    formExpired: 'Le formulaire a expiré. Veuillez saisir à nouveau votre identifiant et votre mot de passe.',
    sessionExpired: 'Votre session a expiré. Veuillez vous reconnecter.',
    loggedOut: 'Vous êtes déconnecté.',
  },
  inbox: {
    title: 'Boîte de réception',
    caption: 'Messages reçus, du plus récent au plus ancien',
    empty: 'Aucun message dans votre boîte de réception.',
    from: 'Expéditeur',
    subject: 'Objet',
    received: 'Reçu le',
    size: 'Taille',
    unread: `Non lu${NBSP}:`,
    unreadCount: (n) => (n === 0 ? 'aucun non lu' : n === 1 ? '1 non lu' : `${n} non lus`),
    messageCount: (n) => (n <= 1 ? `${n} message` : `${n} messages`),
  },
  message: {
    back: 'Retour à la boîte de réception',
    from: 'De',
    to: 'À',
    cc: 'Cc',
    date: 'Date',
    subject: 'Objet',
    noSubject: '(sans objet)',
    noBody: '(message sans texte)',
    htmlNotConverted: 'Le contenu de ce message (au format HTML) n’a pas pu être affiché.',
    attachments: (n) => (n <= 1 ? 'Pièce jointe' : `Pièces jointes (${n})`),
    unnamedAttachment: '(sans nom)',
    security: 'Sécurité',
    verdict: (v) => {
      const opened = v.decrypted ? 'Chiffré, déchiffré pour vous. ' : '';
      switch (v.result) {
        case 'pass': return `${opened}Signature valide${v.signer ? ` de ${v.signer}` : ''}.`;
        case 'fail': return `${opened}Signature invalide : le message a été modifié après sa signature. Ne vous y fiez pas.`;
        case 'policy': return `${opened}Signature non acceptée${v.reason ? ` (${v.reason})` : ''}. Ne vous y fiez pas.`;
        case 'temperror': return `${opened}Signature correcte, mais la révocation du certificat n’a pas pu être vérifiée.`;
        case 'none': return `${opened}Message non signé.`;
        default: return `${opened}Signature non vérifiable${v.reason ? ` (${v.reason})` : ''}.`;
      }
    },
  },
  errors: {
    notFoundTitle: 'Page introuvable',
    notFoundText: 'La page ou le message demandé n’existe pas.',
    methodNotAllowedTitle: 'Action non permise',
    methodNotAllowedText: 'Cette action n’est pas permise sur cette page.',
    forbiddenTitle: 'Action refusée',
    forbiddenText: 'Le formulaire a expiré ou ne provient pas de cette messagerie. Rechargez la page et réessayez.',
    tooLargeTitle: 'Envoi trop volumineux',
    tooLargeText: 'Les données envoyées dépassent la taille permise.',
    badRequestTitle: 'Requête invalide',
    badRequestText: 'La requête n’a pas pu être comprise.',
    serverErrorTitle: 'Erreur du service',
    serverErrorText: 'Une erreur est survenue. Veuillez réessayer dans quelques instants ; si elle persiste, contactez votre support.',
    home: 'Retour à l’accueil',
  },
  sizeUnits: ['o', 'Ko', 'Mo', 'Go'],
  locale: 'fr-FR',
};

const en: Strings = {
  languageName: 'English',
  product: 'Secure health messaging',
  skipToContent: 'Skip to content',
  languageNav: 'Language',
  signedInAs: 'Signed in as',
  logout: 'Sign out',
  login: {
    title: 'Sign in',
    heading: 'Sign in to your secure mailbox',
    intro: 'Enter one of your mail addresses and your password.',
    loginLabel: 'Login',
    loginHint: 'Your secure mail address, for example firstname.lastname@…',
    passwordLabel: 'Password',
    submit: 'Sign in',
    failed: 'Wrong login or password.',
    missingFields: 'Please enter your login and your password.',
    rateLimited: 'Too many failed sign-in attempts. Please try again in a few minutes.',
    formExpired: 'The form has expired. Please enter your login and password again.',
    sessionExpired: 'Your session has expired. Please sign in again.',
    loggedOut: 'You are signed out.',
  },
  inbox: {
    title: 'Inbox',
    caption: 'Received messages, newest first',
    empty: 'There are no messages in your inbox.',
    from: 'From',
    subject: 'Subject',
    received: 'Received',
    size: 'Size',
    unread: 'Unread:',
    unreadCount: (n) => (n === 0 ? 'none unread' : `${n} unread`),
    messageCount: (n) => (n === 1 ? '1 message' : `${n} messages`),
  },
  message: {
    back: 'Back to the inbox',
    security: 'Security',
    verdict: (v) => {
      const opened = v.decrypted ? 'Encrypted, decrypted for you. ' : '';
      switch (v.result) {
        case 'pass': return `${opened}Valid signature${v.signer ? ` from ${v.signer}` : ''}.`;
        case 'fail': return `${opened}Invalid signature: the message was changed after it was signed. Do not rely on it.`;
        case 'policy': return `${opened}Signature not accepted${v.reason ? ` (${v.reason})` : ''}. Do not rely on it.`;
        case 'temperror': return `${opened}Correct signature, but the certificate's revocation could not be checked.`;
        case 'none': return `${opened}Unsigned message.`;
        default: return `${opened}Signature could not be verified${v.reason ? ` (${v.reason})` : ''}.`;
      }
    },
    from: 'From',
    to: 'To',
    cc: 'Cc',
    date: 'Date',
    subject: 'Subject',
    noSubject: '(no subject)',
    noBody: '(message without text)',
    htmlNotConverted: 'The content of this message (in HTML format) could not be displayed.',
    attachments: (n) => (n <= 1 ? 'Attachment' : `Attachments (${n})`),
    unnamedAttachment: '(unnamed)',
  },
  errors: {
    notFoundTitle: 'Page not found',
    notFoundText: 'The page or message you asked for does not exist.',
    methodNotAllowedTitle: 'Action not allowed',
    methodNotAllowedText: 'This action is not allowed on this page.',
    forbiddenTitle: 'Action refused',
    forbiddenText: 'The form has expired or did not come from this webmail. Reload the page and try again.',
    tooLargeTitle: 'Request too large',
    tooLargeText: 'The data sent exceeds the allowed size.',
    badRequestTitle: 'Bad request',
    badRequestText: 'The request could not be understood.',
    serverErrorTitle: 'Service error',
    serverErrorText: 'Something went wrong. Please try again in a moment; if it persists, contact your support.',
    home: 'Back to the start page',
  },
  sizeUnits: ['B', 'KB', 'MB', 'GB'],
  locale: 'en-GB',
};

export const STRINGS: Readonly<Record<Language, Strings>> = { fr, en };

/**
 * The language of a request: an explicit `?lang=` wins, then the language cookie, then
 * the browser's Accept-Language (the best-weighted of fr and en), then the configured default.
 */
export function negotiateLanguage(input: {
  query?: string | null;
  cookie?: string;
  acceptLanguage?: string;
  fallback: Language;
}): Language {
  if (isLanguage(input.query)) return input.query;
  if (isLanguage(input.cookie)) return input.cookie;
  return fromAcceptLanguage(input.acceptLanguage) ?? input.fallback;
}

function fromAcceptLanguage(header: string | undefined): Language | undefined {
  if (!header) return undefined;
  let best: { language: Language; q: number } | undefined;
  for (const part of header.split(',').slice(0, 32)) {
    const [tag = '', ...params] = part.trim().split(';');
    const primary = tag.trim().toLowerCase().split('-')[0];
    if (!isLanguage(primary)) continue;
    let q = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/.exec(param);
      if (match) q = Number(match[1]);
    }
    if (q > 0 && (!best || q > best.q)) best = { language: primary, q };
  }
  return best?.language;
}

/** Formats dates and sizes for one language and time zone. */
export class Formatter {
  private readonly short: Intl.DateTimeFormat;
  private readonly long: Intl.DateTimeFormat;
  private readonly number: Intl.NumberFormat;

  constructor(private readonly strings: Strings, timeZone: string) {
    this.short = new Intl.DateTimeFormat(strings.locale, { dateStyle: 'short', timeStyle: 'short', timeZone });
    this.long = new Intl.DateTimeFormat(strings.locale, { dateStyle: 'full', timeStyle: 'short', timeZone });
    this.number = new Intl.NumberFormat(strings.locale, { maximumFractionDigits: 1 });
  }

  shortDate(date: Date): string { return this.short.format(date); }
  longDate(date: Date): string { return this.long.format(date); }

  size(bytes: number): string {
    const units = this.strings.sizeUnits;
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    const shown = unit === 0 ? String(value) : this.number.format(value >= 10 ? Math.round(value) : value);
    return `${shown}${NBSP}${units[unit]}`;
  }
}
