/**
 * Worker threads for S/MIME: each whole-message job (sign, encrypt, sign-then-encrypt,
 * decrypt) runs in one worker, JavaScript around the private-key operation included, so
 * that a gateway handling many messages uses every core rather than one thread plus
 * libuv's pool for the RSA alone. Same signatures, results and errors as the in-process
 * functions (it is a SmimeOperations).
 *
 * Workers start on the first job, pick up work least-loaded first, keep the certificates
 * and keys they were sent (see recent-refs.ts), and hold the process open only while they
 * have jobs: an idle pool never keeps a process alive, and close() ends it for good.
 */
import { KeyObject } from 'node:crypto';
import os from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type * as pkijs from 'pkijs';
import { HygieError, type ErrorCode } from '../../core/errors.js';
import type { DecryptResult, RecipientKey } from '../cms/decrypt.js';
import type { EncryptOptions } from '../cms/encrypt.js';
import { SmimeFormatError } from '../cms/mime.js';
import type { SmimeOperations } from '../cms/operations.js';
import type { SignAndEncryptOptions } from '../cms/sign-encrypt.js';
import type { Signer, SignOptions } from '../cms/sign.js';
import type { CryptoKey } from '../engine.js';
import { certificateDerOf } from '../trust/certificate-facts.js';
import { Outbox, refsOf, type JobRequest, type JobResponse, type Material, type SerializedError, type SignerRefs, type SmimeJob } from './protocol.js';
import { RecentRefs } from './recent-refs.js';

export interface SmimePoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  readonly size?: number;
  /** Certificates and keys each worker keeps parsed between jobs; default 1024. */
  readonly cacheSize?: number;
}

type Shareable = pkijs.Certificate | CryptoKey | KeyObject;

interface PendingJob {
  job: SmimeJob;
  readonly objects: ReadonlyMap<number, Shareable>;
  readonly resolve: (response: JobResponse) => void;
  readonly reject: (error: Error) => void;
  retried: boolean;
}

interface PoolWorker {
  readonly thread: Worker;
  /** Requests go out through it, in order: resets included, so that the worker sees what the mirror saw. */
  readonly outbox: Outbox<JobRequest>;
  /** What the worker holds, mirrored. */
  readonly held: RecentRefs<true>;
  readonly pending: Map<number, PendingJob>;
  /** Called when `pending` becomes empty (close() waits for it). */
  readonly whenIdle: Array<() => void>;
}

/** Numbers for certificates and keys, the same in every pool of this process. */
const refs = new WeakMap<Shareable, number>();
let lastRef = 0;

function refOf(object: Shareable): number {
  let ref = refs.get(object);
  if (ref === undefined) {
    ref = ++lastRef;
    refs.set(object, ref);
  }
  return ref;
}

const WORKER_URL = new URL('./smime-worker.js', import.meta.url);

export class SmimePool implements SmimeOperations {
  readonly size: number;
  private readonly cacheSize: number;
  private readonly workers: PoolWorker[] = [];
  private lastJob = 0;
  private closed = false;

  constructor(options: SmimePoolOptions = {}) {
    this.size = options.size ?? os.availableParallelism();
    this.cacheSize = options.cacheSize ?? 1024;
    for (const [name, value] of [['size', this.size], ['cacheSize', this.cacheSize]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new HygieError('CONFIG_INVALID', `S/MIME pool ${name} must be a positive integer, not ${value}`);
    }
  }

  async signMessage(message: Buffer, signer: Signer, options: SignOptions = {}): Promise<Buffer> {
    const objects = new Map<number, Shareable>();
    return this.messageOf(await this.run({ kind: 'sign', message: copyOf(message), signer: signerRefs(signer, objects), options }, objects));
  }

  async encryptMessage(message: Buffer, recipients: readonly pkijs.Certificate[], options: EncryptOptions = {}): Promise<Buffer> {
    const objects = new Map<number, Shareable>();
    return this.messageOf(await this.run({ kind: 'encrypt', message: copyOf(message), recipients: recipients.map((c) => share(c, objects)), options }, objects));
  }

  async signAndEncryptMessage(
    message: Buffer, signer: Signer, recipients: readonly pkijs.Certificate[], options: SignAndEncryptOptions = {},
  ): Promise<Buffer> {
    const objects = new Map<number, Shareable>();
    const job: SmimeJob = {
      kind: 'sign-encrypt', message: copyOf(message), signer: signerRefs(signer, objects),
      recipients: recipients.map((c) => share(c, objects)), options,
    };
    return this.messageOf(await this.run(job, objects));
  }

  async decryptMessage(message: Buffer, keys: readonly RecipientKey[]): Promise<DecryptResult> {
    const objects = new Map<number, Shareable>();
    const job: SmimeJob = {
      kind: 'decrypt', message: copyOf(message),
      keys: keys.map((k) => ({ certificate: share(k.certificate, objects), key: share(k.privateKey, objects) })),
    };
    const response = await this.run(job, objects);
    if (!('decrypted' in response)) throw new Error('S/MIME worker gave no decryption result');
    const result = response.decrypted;
    return result.status === 'decrypted' ? { ...result, message: asBuffer(result.message) } : result;
  }

  /** Lets running jobs finish, then stops the workers; later calls fail with SHUTTING_DOWN. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((worker) => new Promise<void>((idle) => {
      if (worker.pending.size === 0) idle();
      else worker.whenIdle.push(idle);
    })));
    await Promise.all(this.workers.splice(0).map((worker) => worker.thread.terminate()));
  }

  private messageOf(response: JobResponse): Buffer {
    if (!('message' in response)) throw new Error('S/MIME worker gave no message');
    return asBuffer(response.message);
  }

  private run(job: SmimeJob, objects: ReadonlyMap<number, Shareable>): Promise<JobResponse> {
    if (this.closed) return Promise.reject(new HygieError('SHUTTING_DOWN', 'the S/MIME worker pool is closed'));
    const worker = this.leastLoaded();
    const id = ++this.lastJob;
    return new Promise<JobResponse>((resolve, reject) => {
      const pending: PendingJob = { job, objects, resolve, reject, retried: false };
      if (worker.pending.size === 0) worker.thread.ref();
      worker.pending.set(id, pending);
      this.send(worker, id, pending, false);
    }).then((response) => {
      if ('error' in response) throw revive(response.error);
      return response;
    });
  }

  /** Sends a job with the certificates and keys the worker does not hold (all of them after a reset). */
  private send(worker: PoolWorker, id: number, pending: PendingJob, reset: boolean): void {
    if (reset) worker.held.clear();
    const materials: Material[] = [];
    for (const ref of refsOf(pending.job)) {
      if (worker.held.touch(ref)) continue;
      worker.held.add(ref, true);
      materials.push(materialOf(ref, pending.objects.get(ref)!));
    }
    const request: JobRequest = { id, job: pending.job, materials, ...(reset ? { reset } : {}) };
    worker.outbox.send(request, [pending.job.message.buffer as ArrayBuffer]);
  }

  private leastLoaded(): PoolWorker {
    if (this.workers.length < this.size) {
      const idle = this.workers.find((w) => w.pending.size === 0);
      if (idle) return idle;
      return this.start();
    }
    let best = this.workers[0]!;
    for (const worker of this.workers) if (worker.pending.size < best.pending.size) best = worker;
    return best;
  }

  private start(): PoolWorker {
    const thread = startWorker({ workerData: { cacheSize: this.cacheSize } });
    thread.unref();
    const outbox = new Outbox<JobRequest>((requests, transfers) => thread.postMessage(requests, transfers));
    const worker: PoolWorker = { thread, outbox, held: new RecentRefs(this.cacheSize), pending: new Map(), whenIdle: [] };
    thread.on('message', (responses: JobResponse[]) => {
      for (const response of responses) this.settle(worker, response);
    });
    thread.on('error', (error) => this.lose(worker, error));
    thread.on('exit', (code) => this.lose(worker, new Error(`S/MIME worker exited with code ${code}`)));
    this.workers.push(worker);
    return worker;
  }

  private settle(worker: PoolWorker, response: JobResponse): void {
    const pending = worker.pending.get(response.id);
    if (!pending) return;
    if ('missing' in response && !pending.retried) {
      // The mirror was wrong (a bug, never expected): both sides start again, everything is sent.
      pending.retried = true;
      pending.job = { ...pending.job, message: response.message };
      this.send(worker, response.id, pending, true);
      return;
    }
    this.forget(worker, response.id);
    if ('missing' in response) pending.reject(new Error('S/MIME worker lacks certificates or keys it was sent'));
    else pending.resolve(response);
  }

  private forget(worker: PoolWorker, id: number): void {
    worker.pending.delete(id);
    if (worker.pending.size > 0) return;
    worker.thread.unref();
    for (const idle of worker.whenIdle.splice(0)) idle();
  }

  /** A worker that failed or exited: its jobs fail, and a new one will be started when needed. */
  private lose(worker: PoolWorker, error: Error): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    for (const [id, job] of [...worker.pending]) {
      this.forget(worker, id);
      job.reject(new Error(`S/MIME worker failed: ${error.message}`, { cause: error }));
    }
    void worker.thread.terminate();
  }
}

/** The process's flags the workers were last started with (see startWorker). */
let workerFlags: string[] | undefined;

/**
 * A worker inherits the process's flags (so that `--cpu-prof` profiles it too), but not
 * --input-type (a script given with -e would stop it loading its file), and not those
 * Node refuses for workers: V8's, process-wide (--max-old-space-size, --max-semi-space-size,
 * --expose-gc, --perf-basic-prof, --prof…). An operator started with them, as operators
 * often start Node with a larger heap, would otherwise fail every S/MIME operation.
 */
function startWorker(options: WorkerOptions): Worker {
  workerFlags ??= process.execArgv.filter((flag) => !/^--input-type/.test(flag));
  try {
    return new Worker(WORKER_URL, { ...options, execArgv: workerFlags });
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    // Node names the flags it refuses: "… invalid execArgv flags: --a, --b".
    const refused = new Set((error as Error).message.replace(/^[^:]*:/, '').split(',').map((flag) => flag.trim()));
    const kept = workerFlags.filter((flag) => !refused.has(flag));
    workerFlags = kept.length < workerFlags.length ? kept : [];
    return new Worker(WORKER_URL, { ...options, execArgv: workerFlags });
  }
}

function share(object: Shareable, objects: Map<number, Shareable>): number {
  const ref = refOf(object);
  objects.set(ref, object);
  return ref;
}

function signerRefs(signer: Signer, objects: Map<number, Shareable>): SignerRefs {
  return {
    certificate: share(signer.certificate, objects),
    key: share(signer.privateKey, objects),
    chain: (signer.chain ?? []).map((c) => share(c, objects)),
    ...(signer.encryptionCertificate ? { encryptionCertificate: share(signer.encryptionCertificate, objects) } : {}),
  };
}

function materialOf(ref: number, object: Shareable): Material {
  if (object instanceof KeyObject) return { ref, key: object };
  if ('usages' in object) return { ref, key: KeyObject.from(object) };
  return { ref, certificate: certificateDerOf(object) };
}

/** The caller keeps its buffer: the job gets its own copy, transferred rather than copied again. */
function copyOf(message: Buffer): Uint8Array {
  return new Uint8Array(message);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The error the in-process call would have thrown, as far as its class goes. */
function revive(error: SerializedError): Error {
  if (error.code !== undefined) return new HygieError(error.code as ErrorCode, error.message);
  if (error.name === 'SmimeFormatError') return new SmimeFormatError(error.message);
  const revived = new Error(error.message);
  revived.name = error.name;
  return revived;
}
