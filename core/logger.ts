/**
 * A small structured logger: one line per event, human-readable by default
 * (`2026-11-24T10:00:00.000Z INFO  smtp  message key=value`) or JSON lines for
 * log collectors. Components get a child logger named after themselves.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level: LogLevel;
  format: 'text' | 'json';
  /** Where lines go; stdout by default. Tests pass a collector. */
  write?: (line: string) => void;
}

export class Logger {
  private readonly options: LoggerOptions;
  private readonly component: string;

  constructor(options: LoggerOptions, component = 'hygie') {
    this.options = options;
    this.component = component;
  }

  child(component: string): Logger {
    return new Logger(this.options, component);
  }

  debug(message: string, fields?: LogFields): void { this.log('debug', message, fields); }
  info(message: string, fields?: LogFields): void { this.log('info', message, fields); }
  warn(message: string, fields?: LogFields): void { this.log('warn', message, fields); }
  error(message: string, fields?: LogFields): void { this.log('error', message, fields); }

  private log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LEVEL_RANK[level] < LEVEL_RANK[this.options.level]) return;
    const at = new Date().toISOString();
    const line = this.options.format === 'json'
      ? JSON.stringify({ at, level, component: this.component, message, ...serialiseFields(fields) })
      : `${at} ${level.toUpperCase().padEnd(5)} ${this.component.padEnd(8)} ${message}${formatFields(fields)}`;
    (this.options.write ?? defaultWrite)(line);
    if (level === 'error' && !this.options.write) flushLines();
  }
}

/**
 * Lines written in one turn of the event loop go out in one write after it: a gateway
 * logs every message it accepts, and a system call per line was a noticeable part of an
 * SMTP transaction's cost. Pending lines are written on exit, and at once when an error
 * is logged, so a crash's last words are not lost.
 */
let pendingLines: string[] = [];
let flushScheduled = false;

function defaultWrite(line: string): void {
  pendingLines.push(line);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushLines);
  }
}

function flushLines(): void {
  flushScheduled = false;
  if (pendingLines.length === 0) return;
  const text = pendingLines.join('\n') + '\n';
  pendingLines = [];
  process.stdout.write(text);
}

process.on('exit', flushLines);

function serialiseFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message } : value;
  }
  return out;
}

function formatFields(fields: LogFields): string {
  let out = '';
  for (const [key, value] of Object.entries(serialiseFields(fields))) {
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    out += ` ${key}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
  }
  return out;
}

/** A logger that drops everything below `warn`; handy for tests and CLI commands. */
export function quietLogger(): Logger {
  return new Logger({ level: 'warn', format: 'text', write: (line) => process.stderr.write(line + '\n') });
}
