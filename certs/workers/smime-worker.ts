/**
 * A worker thread of the S/MIME pool (smime-pool.ts): runs whole-message jobs with the
 * same functions as the in-process path, its private-key operations inline (blocking this
 * thread is the point; a hop to libuv's pool would only add latency), with the
 * certificates and keys it was sent kept parsed between jobs.
 */
import type { KeyObject } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type * as pkijs from 'pkijs';
import { HygieError } from '../../core/errors.js';
import { decryptMessage } from '../cms/decrypt.js';
import { encryptMessage } from '../cms/encrypt.js';
import { signAndEncryptMessage } from '../cms/sign-encrypt.js';
import { signMessage, type Signer } from '../cms/sign.js';
import { certificateFromDer } from '../trust/certificate-cache.js';
import { Outbox, refsOf, transferable, type JobRequest, type JobResponse, type SerializedError, type SignerRefs, type SmimeJob } from './protocol.js';
import { RecentRefs } from './recent-refs.js';

type Held = pkijs.Certificate | KeyObject;

const port = parentPort;
if (!port) throw new Error('smime-worker.js runs as a worker thread of SmimePool');
const held = new RecentRefs<Held>((workerData as { cacheSize: number }).cacheSize);

const outbox = new Outbox<JobResponse>((responses, transfers) => port.postMessage(responses, transfers));

// Requests are answered in order (answer() takes its certificates and keys before any await).
port.on('message', (requests: JobRequest[]) => {
  for (const request of requests) void answer(request).then(({ response, transfer }) => outbox.send(response, transfer));
});

async function answer(request: JobRequest): Promise<{ response: JobResponse; transfer: ArrayBuffer[] }> {
  const { id, job } = request;
  // Synchronously, before anything else: the pool mirrors these steps in this order.
  if (request.reset) held.clear();
  const objects = take(refsOf(job), request);
  if (!(objects instanceof Map)) return { response: { id, missing: objects.missing, message: job.message }, transfer: [job.message.buffer as ArrayBuffer] };
  try {
    const bytes = Buffer.from(job.message.buffer, job.message.byteOffset, job.message.byteLength);
    if (job.kind === 'decrypt') {
      const keys = job.keys.map((k) => ({ certificate: objects.get(k.certificate) as pkijs.Certificate, privateKey: objects.get(k.key) as KeyObject }));
      const result = await decryptMessage(bytes, keys);
      if (result.status !== 'decrypted') return { response: { id, decrypted: result }, transfer: [] };
      const message = transferable(result.message);
      return { response: { id, decrypted: { ...result, message } }, transfer: [message.buffer as ArrayBuffer] };
    }
    const message = transferable(await run(job, bytes, objects));
    return { response: { id, message }, transfer: [message.buffer as ArrayBuffer] };
  } catch (error) {
    return { response: { id, error: serialize(error) }, transfer: [] };
  }
}

function run(job: Exclude<SmimeJob, { kind: 'decrypt' }>, message: Buffer, objects: Map<number, Held>): Promise<Buffer> {
  const certificate = (ref: number) => objects.get(ref) as pkijs.Certificate;
  switch (job.kind) {
    case 'sign':
      return signMessage(message, signerOf(job.signer, objects), { ...job.options, inline: true });
    case 'encrypt':
      return encryptMessage(message, job.recipients.map(certificate), job.options);
    case 'sign-encrypt':
      return signAndEncryptMessage(message, signerOf(job.signer, objects), job.recipients.map(certificate), {
        ...job.options, sign: { ...job.options.sign, inline: true },
      });
  }
}

function signerOf(refs: SignerRefs, objects: Map<number, Held>): Signer {
  const certificate = (ref: number) => objects.get(ref) as pkijs.Certificate;
  return {
    certificate: certificate(refs.certificate),
    privateKey: objects.get(refs.key) as KeyObject,
    chain: refs.chain.map(certificate),
    ...(refs.encryptionCertificate === undefined ? {} : { encryptionCertificate: certificate(refs.encryptionCertificate) }),
  };
}

/** The job's certificates and keys: held ones made most recent, sent ones parsed and held, in the pool's order. */
function take(refs: readonly number[], request: JobRequest): Map<number, Held> | { missing: number[] } {
  const sent = new Map(request.materials.map((m) => [m.ref, m]));
  const objects = new Map<number, Held>();
  const missing: number[] = [];
  for (const ref of refs) {
    if (held.touch(ref)) {
      objects.set(ref, held.get(ref)!);
      continue;
    }
    const material = sent.get(ref);
    if (!material) {
      missing.push(ref);
      continue;
    }
    const value = 'key' in material ? material.key : certificateFromDer(material.certificate);
    held.add(ref, value);
    objects.set(ref, value);
  }
  return missing.length > 0 ? { missing } : objects;
}

function serialize(error: unknown): SerializedError {
  if (error instanceof HygieError) return { name: error.name, message: error.message, code: error.code };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}
