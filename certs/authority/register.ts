/**
 * What a CA remembers: every certificate it issued (so that serials are never reused and
 * only its own certificates can be revoked), which of them are revoked, when and why, and
 * the last CRL number it used. `RevocationRegister` is the interface; this file holds the
 * rules (in the pure functions below) and the in-memory implementation. json-register.ts
 * persists the same state in a file; certs/store will implement the interface over the
 * database. One register serves one CA.
 */
import { HygieError } from '../../core/errors.js';
import type { RevocationReason } from './reasons.js';

export interface Revocation {
  readonly reason: RevocationReason;
  readonly date: Date;
}

export interface CertificateRecord {
  /** Uppercase hex without leading zero bytes, as `openssl x509 -serial` prints it. */
  readonly serialHex: string;
  /** RFC 4514 form of the subject, for listings. */
  readonly subject: string;
  /** Name of the profile it was issued with ("S/MIME signing"…). */
  readonly profile: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly certificatePem: string;
  readonly revocation?: Revocation;
}

export interface RevocationRegister {
  /** Records a certificate just signed, before it is handed out. A known serial is refused. */
  recordIssued(record: CertificateRecord): Promise<void>;
  /**
   * Marks a certificate revoked and returns its updated record. An unknown serial or a
   * certificate already revoked is refused (INVALID_INPUT): revocation is final.
   */
  recordRevocation(serialHex: string, revocation: Revocation): Promise<CertificateRecord>;
  find(serialHex: string): Promise<CertificateRecord | undefined>;
  /** Every certificate issued, in issue order. */
  list(): Promise<CertificateRecord[]>;
  /** The revoked ones only (what a CRL is built from). */
  revoked(): Promise<CertificateRecord[]>;
  /** Reserves the next CRL number: 1, 2, 3…, never the same twice, also across restarts. */
  nextCrlNumber(): Promise<bigint>;
}

/** The whole state of one register, immutable: each change builds a new one. */
export interface RegisterState {
  readonly records: ReadonlyMap<string, CertificateRecord>;
  readonly lastCrlNumber: bigint;
}

export const EMPTY_REGISTER: RegisterState = { records: new Map(), lastCrlNumber: 0n };

export function withIssued(state: RegisterState, record: CertificateRecord): RegisterState {
  if (state.records.has(record.serialHex)) {
    throw new HygieError('INVALID_INPUT', `serial ${record.serialHex} was already issued by this CA`);
  }
  return { ...state, records: new Map(state.records).set(record.serialHex, record) };
}

export function withRevocation(state: RegisterState, serialHex: string, revocation: Revocation): [RegisterState, CertificateRecord] {
  const record = state.records.get(serialHex);
  if (!record) throw new HygieError('INVALID_INPUT', `serial ${serialHex} was not issued by this CA`);
  if (record.revocation) {
    throw new HygieError('INVALID_INPUT', `serial ${serialHex} is already revoked (${record.revocation.reason}, ${record.revocation.date.toISOString()})`);
  }
  const updated = { ...record, revocation };
  return [{ ...state, records: new Map(state.records).set(serialHex, updated) }, updated];
}

export function withNextCrlNumber(state: RegisterState): [RegisterState, bigint] {
  const number = state.lastCrlNumber + 1n;
  return [{ ...state, lastCrlNumber: number }, number];
}

/**
 * The register in memory. Changes run one at a time; each builds the next state, hands
 * it to `persist` and only then makes it current, so that a failed write changes nothing.
 * Subclasses persist elsewhere by overriding `persist`.
 */
export class MemoryRevocationRegister implements RevocationRegister {
  #state: RegisterState;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(initial: RegisterState = EMPTY_REGISTER) {
    this.#state = initial;
  }

  /** Called with each new state before it becomes current; nothing to do in memory. */
  protected async persist(_next: RegisterState): Promise<void> {}

  async recordIssued(record: CertificateRecord): Promise<void> {
    await this.#change((state) => [withIssued(state, record), undefined]);
  }

  recordRevocation(serialHex: string, revocation: Revocation): Promise<CertificateRecord> {
    return this.#change((state) => withRevocation(state, serialHex, revocation));
  }

  nextCrlNumber(): Promise<bigint> {
    return this.#change(withNextCrlNumber);
  }

  async find(serialHex: string): Promise<CertificateRecord | undefined> {
    await this.#queue;
    return this.#state.records.get(serialHex);
  }

  async list(): Promise<CertificateRecord[]> {
    await this.#queue;
    return [...this.#state.records.values()];
  }

  async revoked(): Promise<CertificateRecord[]> {
    return (await this.list()).filter((record) => record.revocation !== undefined);
  }

  #change<T>(change: (state: RegisterState) => [RegisterState, T]): Promise<T> {
    const run = this.#queue.then(async () => {
      const [next, result] = change(this.#state);
      await this.persist(next);
      this.#state = next;
      return result;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
