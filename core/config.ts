/**
 * The operator's configuration: one YAML file (see hygie.example.yaml, which documents
 * every key) with environment-variable overrides, validated once at start into a frozen
 * typed object. A bad key stops the start with a message that names it.
 *
 * Override rule: `HYGIE_` + the key path in upper snake case, e.g. `smtp.mxPort` is
 * `HYGIE_SMTP_MX_PORT`, `operator.domains.regional` is `HYGIE_OPERATOR_DOMAINS_REGIONAL`.
 * `DATABASE_URL` also sets `database.url`.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export interface OperatorDomains {
  /** Regional S/MIME domain: prenom.nom@<regional>. */
  regional: string;
  /** The operator's MSSanté domain: prenom.nom@<region>.mssante.<tld>, health professionals only. */
  mssante: string;
  /** Apicrypt alias domain for health professionals: prenom.nom.<label>@medical.apicrypt.<tld>. */
  apicryptHealth: string;
  /** Apicrypt alias domain for non-health professionals: prenom.nom.<label>@apicrypt.<tld>. */
  apicryptOther: string;
  /** The label the platform adds to Apicrypt aliases. */
  apicryptLabel: string;
}

/** How one network is reached (see hygie.example.yaml, section networks). */
export interface NetworkSettings {
  /** Domains of this network besides the built-in ones; `*.example.org` matches subdomains. */
  domains: string[];
  /** A relay (host name) for every message of this network; empty: the MX of each domain. */
  relayHost: string;
  port: number;
  /** PEM client certificate and key for mutual TLS; empty: the operator's TLS certificate. */
  clientCertFile: string;
  clientKeyFile: string;
  /** PEM bundle of the authorities accepted for this network's servers (and inbound peers). */
  caFile: string;
}

/** One step of the mailbox lifecycle (directory/lifecycle/rules.ts explains each field). */
export interface LifecycleStepSettings {
  enabled: boolean;
  minimumAgeDays: number;
  silenceDays: number;
  noticeDays: number;
  reminderDays: number;
  minimumNoticeDays: number;
}

export interface Config {
  server: {
    /** Address every listener binds to. */
    host: string;
    /** Host names this operator answers as: the first is the SMTP greeting name; all go in the TLS certificate. */
    hostnames: string[];
    /** Data folder: database, message files, PKI. Relative paths are from the working directory. */
    dataDir: string;
  };
  smtp: {
    mxPort: number;
    submissionPort: number;
    /** Largest message accepted, in bytes (advertised with SIZE). */
    maxMessageSize: number;
    /** Seconds to let transactions in flight finish on shutdown. */
    shutdownGraceSeconds: number;
    /** Messages one box may submit per hour (0: no limit); beyond it, a temporary 450 4.7.1. */
    maxMessagesPerHour: number;
  };
  imap: {
    port: number;
    /** Implicit TLS port; 0 disables it. */
    tlsPort: number;
  };
  ldap: {
    port: number;
    baseDn: string;
    /** Operators bind with this DN (empty: cn=operator,<baseDn>) and see unpublished entries too. */
    operatorDn: string;
    /** Empty: no operator bind. Prefer HYGIE_LDAP_OPERATOR_PASSWORD to keep it out of the file. */
    operatorPassword: string;
  };
  webmail: {
    port: number;
    /** URL users reach the webmail at (used in links and notifications). */
    publicUrl: string;
    /** Webmail language by default: fr or en. */
    language: 'fr' | 'en';
  };
  networks: {
    /** The MSSanté trust space: domains on the national trust list, reached by SMTP with mutual TLS. */
    mssante: NetworkSettings & {
      /** listeblanchemssante.xml: a file path or an https URL, loaded at start and daily. */
      trustListSource: string;
    };
    /** Apicrypt, through the operator's connector relay (its encryption is proprietary). */
    apicrypt: NetworkSettings;
    /** The regional S/MIME domain's partners: signed and encrypted end to end. */
    regional: NetworkSettings;
    /** Anything else: plain mail, for non-health boxes only, when allowed. */
    external: NetworkSettings & { allowPlain: boolean };
  };
  queue: {
    /** A message not delivered after this long is returned to its sender (failure DSN). */
    lifetimeHours: number;
    /** A delay DSN (once) when a message is still undelivered after this long; 0: none. */
    delayWarningHours: number;
    /** Delay before the second attempt after a temporary failure; each further delay doubles. */
    firstRetrySeconds: number;
    /** Longest delay between two attempts. */
    maxRetrySeconds: number;
    /** SMTP transactions under way at once, in all. */
    concurrency: number;
    /** SMTP transactions under way at once to one domain (and connections kept open to each of its hosts). */
    perDomainConcurrency: number;
  };
  lifecycle: {
    /** Run the sweep every day inside `hygie start`. */
    enabled: boolean;
    /** Local time of the daily sweep, HH:MM (Europe/Paris). */
    runAt: string;
    /** Unpublish a box older than a year after 60 days without a connection. */
    unpublish: LifecycleStepSettings;
    /** Delete a box older than two years after a year without a connection. */
    delete: LifecycleStepSettings;
  };
  registry: {
    /**
     * An import that would mark more than this share of a table's rows vanished is refused,
     * nothing applied (a truncated download, the wrong file): `hygie registry import
     * --allow-vanish` goes ahead. 0 turns the check off.
     */
    maxVanishedPercent: number;
    /** Rows that may vanish whatever the share (small regional lists, test directories). */
    vanishedAlwaysAccepted: number;
  };
  notifications: {
    /** Sender of notices and alerts; empty: "<operator.name>" <ne-pas-repondre@<regional domain>>. */
    from: string;
    /** SMTP relay carrying notices to users' usual (non-secure) addresses; empty keeps notices in the box only. */
    relayHost: string;
    relayPort: number;
    /** Implicit TLS to the relay (port 465); otherwise STARTTLS when offered. */
    relaySecure: boolean;
  };
  api: {
    /** Operator API (JSON over HTTPS, bearer token or pinned client certificate); 0 picks a free port. */
    port: number;
  };
  database: {
    /** postgres://… to use PostgreSQL; empty for the embedded SQLite file in dataDir. */
    url: string;
  };
  tls: {
    /** PEM files of a real certificate; empty to use the development PKI in dataDir/pki. */
    certFile: string;
    keyFile: string;
  };
  certs: {
    /**
     * Secret sealing the private keys stored in the database (AES-256-GCM); empty stores
     * them in clear. Prefer HYGIE_CERTS_KEY_SECRET to keep it out of the file.
     */
    keySecret: string;
    /** Names the secret in each sealed key, so that a new secret can be rolled in later. */
    keySecretId: string;
  };
  auth: {
    /** Failed authentications allowed per login and per client address in the window. */
    maxFailures: number;
    windowSeconds: number;
  };
  operator: {
    name: string;
    domains: OperatorDomains;
  };
  log: {
    level: 'debug' | 'info' | 'warn' | 'error';
    format: 'text' | 'json';
  };
}

export const DEFAULT_CONFIG: Config = {
  server: { host: '127.0.0.1', hostnames: ['mail.esante-demo.test', 'localhost'], dataDir: './data' },
  smtp: { mxPort: 2525, submissionPort: 2587, maxMessageSize: 25 * 1024 * 1024, shutdownGraceSeconds: 10, maxMessagesPerHour: 2000 },
  imap: { port: 1143, tlsPort: 0 },
  ldap: { port: 1389, baseDn: 'dc=esante-demo,dc=test', operatorDn: '', operatorPassword: '' },
  webmail: { port: 8080, publicUrl: 'http://127.0.0.1:8080', language: 'fr' },
  networks: {
    mssante: { domains: [], relayHost: '', port: 25, clientCertFile: '', clientKeyFile: '', caFile: '', trustListSource: '' },
    apicrypt: { domains: ['apicrypt.org', '*.apicrypt.org'], relayHost: '', port: 25, clientCertFile: '', clientKeyFile: '', caFile: '' },
    regional: { domains: [], relayHost: '', port: 25, clientCertFile: '', clientKeyFile: '', caFile: '' },
    external: { domains: [], relayHost: '', port: 25, clientCertFile: '', clientKeyFile: '', caFile: '', allowPlain: false },
  },
  queue: { lifetimeHours: 120, delayWarningHours: 4, firstRetrySeconds: 60, maxRetrySeconds: 4 * 3600, concurrency: 32, perDomainConcurrency: 10 },
  lifecycle: {
    enabled: true,
    runAt: '03:30',
    unpublish: { enabled: true, minimumAgeDays: 365, silenceDays: 60, noticeDays: 15, reminderDays: 3, minimumNoticeDays: 14 },
    delete: { enabled: true, minimumAgeDays: 730, silenceDays: 365, noticeDays: 30, reminderDays: 7, minimumNoticeDays: 29 },
  },
  registry: { maxVanishedPercent: 10, vanishedAlwaysAccepted: 100 }, // also RegistryService's own default
  notifications: { from: '', relayHost: '', relayPort: 25, relaySecure: false },
  api: { port: 8443 },
  database: { url: '' },
  tls: { certFile: '', keyFile: '' },
  certs: { keySecret: '', keySecretId: 'k1' },
  auth: { maxFailures: 5, windowSeconds: 300 },
  operator: {
    name: 'Plateforme e-santé de démonstration',
    domains: {
      regional: 'esante-demo.test',
      mssante: 'demo.mssante.test',
      apicryptHealth: 'medical.apicrypt.test',
      apicryptOther: 'apicrypt.test',
      apicryptLabel: 'demo',
    },
  },
  log: { level: 'info', format: 'text' },
};

export class ConfigError extends Error {
  constructor(readonly key: string, problem: string, readonly source: string) {
    super(`configuration key "${key}" ${problem} (from ${source})`);
    this.name = 'ConfigError';
  }
}

type Source = { kind: 'file' | 'env'; name: string };

/** Key-specific checks beyond the type, by dotted path. */
const CHECKS: Record<string, (value: unknown) => string | undefined> = {
  'smtp.mxPort': port, 'smtp.submissionPort': port, 'imap.port': port, 'ldap.port': port, 'webmail.port': port, 'api.port': port, 'notifications.relayPort': port,
  'networks.mssante.port': port, 'networks.apicrypt.port': port, 'networks.regional.port': port, 'networks.external.port': port,
  'networks.mssante.domains': domainPatterns, 'networks.apicrypt.domains': domainPatterns, 'networks.regional.domains': domainPatterns,
  'networks.external.domains': domainPatterns,
  'imap.tlsPort': port,
  'smtp.maxMessageSize': (v) => (Number(v) >= 1024 ? undefined : 'must be at least 1024 bytes'),
  'smtp.shutdownGraceSeconds': nonNegative,
  'smtp.maxMessagesPerHour': nonNegative,
  'queue.lifetimeHours': atLeastOne, 'queue.delayWarningHours': nonNegative, 'queue.firstRetrySeconds': atLeastOne,
  'queue.maxRetrySeconds': atLeastOne, 'queue.concurrency': positiveInteger, 'queue.perDomainConcurrency': positiveInteger,
  'registry.maxVanishedPercent': (v) => (Number(v) >= 0 && Number(v) <= 100 ? undefined : 'must be a percentage between 0 and 100'),
  'registry.vanishedAlwaysAccepted': nonNegative,
  'lifecycle.runAt': (v) => (/^([01]\d|2[0-3]):[0-5]\d$/.test(v as string) ? undefined : 'must be a time of day, HH:MM'),
  'auth.maxFailures': atLeastOne,
  'auth.windowSeconds': atLeastOne,
  'server.hostnames': (v) => ((v as string[]).length > 0 && (v as string[]).every(isDomainName) ? undefined : 'must list at least one valid host name'),
  'server.dataDir': (v) => ((v as string).length > 0 ? undefined : 'must not be empty'),
  'webmail.language': (v) => (v === 'fr' || v === 'en' ? undefined : 'must be "fr" or "en"'),
  'log.level': (v) => (['debug', 'info', 'warn', 'error'].includes(v as string) ? undefined : 'must be one of debug, info, warn, error'),
  'log.format': (v) => (v === 'text' || v === 'json' ? undefined : 'must be "text" or "json"'),
  'database.url': (v) => (v === '' || /^postgres(ql)?:\/\//.test(v as string) ? undefined : 'must be empty (SQLite) or a postgres:// URL'),
  'certs.keySecret': (v) => (v === '' || (v as string).length >= 16 ? undefined : 'must be empty or at least 16 characters'),
  'certs.keySecretId': (v) => (/^[A-Za-z0-9._-]{1,32}$/.test(v as string) ? undefined : 'must be 1 to 32 letters, digits, dots, dashes or underscores'),
  'operator.domains.regional': domain, 'operator.domains.mssante': domain,
  'operator.domains.apicryptHealth': domain, 'operator.domains.apicryptOther': domain,
  'operator.domains.apicryptLabel': (v) => (/^[a-z0-9-]+$/.test(v as string) ? undefined : 'must be lower-case letters, digits or hyphens'),
  'webmail.publicUrl': (v) => (/^https?:\/\/\S+$/.test(v as string) ? undefined : 'must be an http(s) URL'),
};

/** 0 lets the system pick a free port (tests use it; the start log says which). */
function port(value: unknown): string | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? undefined : 'must be a port number between 0 and 65535';
}
function nonNegative(value: unknown): string | undefined {
  return Number(value) >= 0 ? undefined : 'must not be negative';
}
function atLeastOne(value: unknown): string | undefined {
  return Number(value) >= 1 ? undefined : 'must be at least 1';
}
function positiveInteger(value: unknown): string | undefined {
  return Number.isInteger(Number(value)) && Number(value) >= 1 ? undefined : 'must be a whole number of at least 1';
}
function isDomainName(value: string): boolean {
  return /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value);
}
function domainPatterns(value: unknown): string | undefined {
  const bad = (value as string[]).find((d) => !isDomainName(d.replace(/^\*\./, '')));
  return bad === undefined ? undefined : `has "${bad}", which is not a domain name nor *.domain`;
}
function domain(value: unknown): string | undefined {
  return isDomainName(value as string) && (value as string).includes('.') ? undefined : 'must be a domain name';
}

export interface LoadConfigOptions {
  /** Path of the YAML file; when absent, `HYGIE_CONFIG` or `./hygie.yaml` if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Overrides applied last (tests use this for free ports and temporary folders). */
  overrides?: DeepPartial<Config>;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

export interface LoadedConfig {
  config: Readonly<Config>;
  /** The file read, if any. */
  file: string | undefined;
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.HYGIE_CONFIG ?? (existsSync('hygie.yaml') ? 'hygie.yaml' : undefined);
  const config = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;

  if (file !== undefined) {
    if (!existsSync(file)) throw new ConfigError('(file)', `cannot be read: ${file} does not exist`, file);
    let parsed: unknown;
    try {
      parsed = YAML.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError('(file)', `is not valid YAML: ${(error as Error).message.split('\n')[0]}`, file);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError('(root)', 'must be a mapping of sections', file);
      merge(config, parsed as Record<string, unknown>, '', { kind: 'file', name: file });
    }
  }
  applyEnv(config, env);
  if (options.overrides) merge(config, options.overrides as Record<string, unknown>, '', { kind: 'file', name: 'overrides' });

  const result = config as unknown as Config;
  for (const [key, check] of Object.entries(CHECKS)) {
    const problem = check(getPath(result, key));
    if (problem) throw new ConfigError(key, problem, describeSource(key, file, env));
  }
  if (Boolean(result.tls.certFile) !== Boolean(result.tls.keyFile)) {
    const missing = result.tls.certFile ? 'tls.keyFile' : 'tls.certFile';
    throw new ConfigError(missing, 'must be set together with the other of tls.certFile / tls.keyFile', describeSource(missing, file, env));
  }
  result.server.hostnames = result.server.hostnames.map((h) => h.toLowerCase());
  return { config: deepFreeze(result), file: file === undefined ? undefined : path.resolve(file) };
}

/** Copies `input` onto `target`, refusing unknown keys and values of the wrong type. */
function merge(target: Record<string, unknown>, input: Record<string, unknown>, prefix: string, source: Source): void {
  for (const [key, value] of Object.entries(input)) {
    const dotted = prefix + key;
    if (!(key in target)) throw new ConfigError(dotted, 'is not a known setting', source.name);
    const current = target[key];
    if (isPlainObject(current)) {
      if (!isPlainObject(value)) throw new ConfigError(dotted, 'must be a section (a mapping)', source.name);
      merge(current, value, dotted + '.', source);
    } else if (Array.isArray(current)) {
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new ConfigError(dotted, 'must be a list of strings', source.name);
      target[key] = [...value];
    } else if (typeof current === 'number') {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConfigError(dotted, 'must be a number', source.name);
      target[key] = value;
    } else if (typeof current === 'string') {
      if (typeof value !== 'string') throw new ConfigError(dotted, 'must be a string', source.name);
      target[key] = value;
    } else if (typeof current === 'boolean') {
      if (typeof value !== 'boolean') throw new ConfigError(dotted, 'must be true or false', source.name);
      target[key] = value;
    } else {
      target[key] = value;
    }
  }
}

function applyEnv(config: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  if (env.DATABASE_URL) setFromEnv(config, 'database.url', env.DATABASE_URL, 'DATABASE_URL');
  for (const key of leafPaths(config)) {
    const name = envName(key);
    const raw = env[name];
    if (raw !== undefined) setFromEnv(config, key, raw, name);
  }
}

function setFromEnv(config: Record<string, unknown>, key: string, raw: string, name: string): void {
  const current = getPath(config, key);
  let value: unknown = raw;
  if (typeof current === 'number') {
    value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new ConfigError(key, `must be a number, got "${raw}"`, `environment variable ${name}`);
  } else if (Array.isArray(current)) {
    value = raw.split(',').map((s) => s.trim()).filter(Boolean);
  } else if (typeof current === 'boolean') {
    if (!/^(true|false)$/i.test(raw.trim())) throw new ConfigError(key, `must be true or false, got "${raw}"`, `environment variable ${name}`);
    value = raw.trim().toLowerCase() === 'true';
  }
  const parts = key.split('.');
  const last = parts.pop() as string;
  const parent = parts.reduce<Record<string, unknown>>((node, part) => node[part] as Record<string, unknown>, config);
  parent[last] = value;
}

export function envName(key: string): string {
  return 'HYGIE_' + key.split('.').map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

function describeSource(key: string, file: string | undefined, env: NodeJS.ProcessEnv): string {
  if (env[envName(key)] !== undefined) return `environment variable ${envName(key)}`;
  if (key === 'database.url' && env.DATABASE_URL) return 'environment variable DATABASE_URL';
  return file ?? 'defaults';
}

function leafPaths(node: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(node).flatMap(([key, value]) =>
    isPlainObject(value) ? leafPaths(value, `${prefix}${key}.`) : [`${prefix}${key}`]);
}

function getPath(node: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((value, part) => (value as Record<string, unknown> | undefined)?.[part], node);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The configuration with secrets masked, for printing. */
export function redactedConfig(config: Readonly<Config>): Config {
  const copy = structuredClone(config) as Config;
  if (copy.certs.keySecret) copy.certs.keySecret = '(set)';
  if (copy.ldap.operatorPassword) copy.ldap.operatorPassword = '(set)';
  if (copy.database.url) {
    const url = new URL(copy.database.url);
    if (url.password) url.password = '***';
    copy.database.url = url.toString();
  }
  return copy;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
