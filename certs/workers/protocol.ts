/**
 * What the S/MIME pool and its worker threads say to each other. A job names certificates
 * and keys by number (refs); the ones the worker does not hold yet travel with it as
 * materials (a certificate as DER, a key as a KeyObject, which Node clones across threads).
 * Each side sends what it has to send in one turn of its event loop as one message (an
 * array, in order): a message between threads costs about as much as the JavaScript of
 * a small job, so with many messages in flight they go in batches.
 */
import type { KeyObject } from 'node:crypto';
import type { DecryptResult } from '../cms/decrypt.js';
import type { EncryptOptions } from '../cms/encrypt.js';
import type { SignAndEncryptOptions } from '../cms/sign-encrypt.js';
import type { SignOptions } from '../cms/sign.js';

export interface SignerRefs {
  readonly certificate: number;
  readonly key: number;
  readonly chain: readonly number[];
  readonly encryptionCertificate?: number;
}

export type SmimeJob =
  | { readonly kind: 'sign'; readonly message: Uint8Array; readonly signer: SignerRefs; readonly options: SignOptions }
  | { readonly kind: 'encrypt'; readonly message: Uint8Array; readonly recipients: readonly number[]; readonly options: EncryptOptions }
  | {
    readonly kind: 'sign-encrypt'; readonly message: Uint8Array; readonly signer: SignerRefs;
    readonly recipients: readonly number[]; readonly options: SignAndEncryptOptions;
  }
  | { readonly kind: 'decrypt'; readonly message: Uint8Array; readonly keys: ReadonlyArray<{ readonly certificate: number; readonly key: number }> };

export type Material =
  | { readonly ref: number; readonly certificate: Uint8Array }
  | { readonly ref: number; readonly key: KeyObject };

export interface JobRequest {
  readonly id: number;
  readonly job: SmimeJob;
  readonly materials: readonly Material[];
  /** Forget every held ref first (after a 'missing' answer, both sides start again from nothing). */
  readonly reset?: boolean;
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** HygieError's code. */
  readonly code?: string;
}

/** A decryption result as it crosses: the message as bytes (a Buffer arrives as a Uint8Array). */
export type CrossingDecryptResult =
  | (Omit<Extract<DecryptResult, { status: 'decrypted' }>, 'message'> & { message: Uint8Array })
  | Extract<DecryptResult, { status: 'failed' }>;

export type JobResponse =
  | { readonly id: number; readonly message: Uint8Array }
  | { readonly id: number; readonly decrypted: CrossingDecryptResult }
  | { readonly id: number; readonly error: SerializedError }
  /**
   * Refs the worker did not hold: a bookkeeping fault, answered by sending the job again
   * with everything. The message comes back with it (it was transferred, not copied).
   */
  | { readonly id: number; readonly missing: readonly number[]; readonly message: Uint8Array };

/** Every ref of a job, in the one order both sides walk them. */
export function refsOf(job: SmimeJob): number[] {
  const signer = (refs: SignerRefs): number[] => [
    refs.certificate, refs.key, ...refs.chain, ...(refs.encryptionCertificate === undefined ? [] : [refs.encryptionCertificate]),
  ];
  switch (job.kind) {
    case 'sign':
      return signer(job.signer);
    case 'encrypt':
      return [...job.recipients];
    case 'sign-encrypt':
      return [...signer(job.signer), ...job.recipients];
    case 'decrypt':
      return job.keys.flatMap((k) => [k.certificate, k.key]);
  }
}

/**
 * Bytes the sender owns, with an ArrayBuffer of their own, so that they can be transferred
 * rather than copied together with whatever shares their ArrayBuffer.
 */
export function transferable(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes
    : new Uint8Array(bytes);
}

/**
 * Gathers what one side sends during a turn of its event loop, and posts it as one message
 * (an array of items, in the order given, with every buffer to transfer) once the turn
 * ends. Idle, an item leaves at once (setImmediate runs before the loop waits again).
 */
export class Outbox<T> {
  private items: T[] = [];
  private transfers: ArrayBuffer[] = [];
  private scheduled = false;

  constructor(private readonly post: (items: T[], transfers: ArrayBuffer[]) => void) {}

  send(item: T, transfers: readonly ArrayBuffer[]): void {
    this.items.push(item);
    this.transfers.push(...transfers);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    const { items, transfers } = this;
    this.items = [];
    this.transfers = [];
    this.scheduled = false;
    this.post(items, transfers);
  }
}
