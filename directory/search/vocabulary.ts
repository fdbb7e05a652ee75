/**
 * Professions and specialties as the registry names them, so that "infirm" or
 * "Médecin" becomes the codes the indexes know. The list of distinct codes is read from
 * the codes' indexes (a few dozen professions, a few hundred skills), one label per
 * code, and kept for a while: new codes appear only with a new extraction.
 */
import type { Knex } from 'knex';
import type { Clock } from '../../core/clock.js';
import { HygieError } from '../../core/errors.js';
import { searchKey, searchTokens } from './text.js';

interface Term {
  readonly code: string;
  readonly label: string;
  readonly key: string;
}

const REFRESH_MS = 10 * 60 * 1000;

export class Vocabulary {
  private professions?: Promise<Term[]>;
  private skills?: Promise<Term[]>;
  private loadedAt = 0;

  constructor(private readonly db: Knex, private readonly clock: Clock) {}

  /** Profession codes for a code ("10") or label words ("infirm", "Médecin"); unknown → INVALID_INPUT naming it. */
  async professionCodes(input: string): Promise<string[]> {
    this.expire();
    this.professions ??= this.load('professionals', 'profession_code', 'profession');
    return match(await this.professions, input, 'profession');
  }

  /** Specialty (savoir-faire) codes for a code ("SM54") or label words ("cardio"). */
  async specialtyCodes(input: string): Promise<string[]> {
    this.expire();
    this.skills ??= this.load('professional_skills', 'code', 'label');
    return match(await this.skills, input, 'specialty');
  }

  private expire(): void {
    const now = this.clock.now().getTime();
    if (now - this.loadedAt < REFRESH_MS) return;
    this.loadedAt = now;
    this.professions = undefined;
    this.skills = undefined;
  }

  private async load(table: string, codeColumn: string, labelColumn: string): Promise<Term[]> {
    const codes = await this.db(table).distinct(`${codeColumn} as code`).whereNotNull(codeColumn) as Array<{ code: string }>;
    const terms: Term[] = [];
    for (const { code } of codes) {
      const row = await this.db(table).first(`${labelColumn} as label`).where(codeColumn, code).whereNotNull(labelColumn) as { label: string } | undefined;
      const label = row?.label ?? code;
      terms.push({ code, label, key: searchKey(label) });
    }
    return terms;
  }
}

function match(terms: readonly Term[], input: string, what: string): string[] {
  const byCode = terms.filter((t) => t.code.toUpperCase() === input.trim().toUpperCase());
  if (byCode.length > 0) return byCode.map((t) => t.code);
  const tokens = searchTokens(input);
  const found = terms.filter((t) => {
    const words = t.key.split(' ');
    return tokens.length > 0 && tokens.every((token) => words.some((w) => w.startsWith(token)));
  });
  if (found.length === 0) throw new HygieError('INVALID_INPUT', `unknown ${what}: "${input}"`);
  return found.map((t) => t.code);
}
