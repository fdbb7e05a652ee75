/**
 * A progress bar for imports on a terminal: how far into the file (bytes read against its
 * size, compressed bytes for an archive), lines per second and the time left. Drawn on one
 * line, redrawn in place, erased at the end; nothing at all when the output is not a terminal.
 */
import path from 'node:path';
import type { ImportProgress } from './importer.js';
import type { Language } from './rejections.js';
import { formatNumber } from './report.js';

const WORDS = {
  fr: { lines: 'lignes', perSecond: 'lignes/s', left: 'reste' },
  en: { lines: 'lines', perSecond: 'lines/s', left: 'left' },
} as const;

export class ProgressBar {
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream, private readonly language: Language = 'fr') {}

  /** A bar on stderr when it is a terminal, otherwise undefined (silent). */
  static onStderr(language: Language = 'fr'): ProgressBar | undefined {
    return process.stderr.isTTY ? new ProgressBar(process.stderr, language) : undefined;
  }

  update(p: ImportProgress): void {
    this.out.write(`\r${renderProgress(p, this.out.columns || 80, this.language)}\x1b[K`);
    this.drawn = true;
  }

  /** Erases the bar, so that the report starts on a clean line. */
  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** One line shorter than `columns`: the figures always, then as much of the bar and the file name as fits. */
export function renderProgress(p: ImportProgress, columns: number, language: Language = 'fr'): string {
  const w = WORDS[language];
  const fraction = p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 0;
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? p.lines / seconds : 0;
  const left = fraction > 0 ? seconds * (1 - fraction) / fraction : NaN;
  const figures = `${String(Math.floor(fraction * 100)).padStart(3)} % · ${formatNumber(p.lines, language)} ${w.lines} · `
    + `${formatNumber(rate, language)} ${w.perSecond} · ${w.left} ${Number.isFinite(left) ? clock(left) : '-:--'}`;
  const name = path.basename(p.location);
  const room = columns - 1 - figures.length;
  // The bar comes before the name: 10 to 30 wide, wider when the name (up to 24 characters of it) fits too.
  const width = room >= 13 ? Math.max(10, Math.min(30, room - 3 - Math.min(name.length, 24) - 1)) : 0;
  const bar = width > 0 ? `[${'#'.repeat(Math.round(fraction * width))}${'.'.repeat(width - Math.round(fraction * width))}] ` : '';
  const nameRoom = room - bar.length - 1;
  const shown = nameRoom < 8 ? '' : `${name.length > nameRoom ? `…${name.slice(name.length - nameRoom + 1)}` : name} `;
  return `${shown}${bar}${figures}`;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
