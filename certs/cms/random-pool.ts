/**
 * Fresh random bytes for the small values every message needs (content key, IV, MIME
 * boundary). Each crypto.randomBytes call costs about as much as filling 4 KB, so bytes are
 * drawn from a per-thread pool refilled from the CSPRNG; what is handed out is wiped from
 * the pool at once, so the pool only ever holds bytes nobody has used yet — the same
 * exposure as the CSPRNG's own state in this process's memory.
 */
import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
/** Requests larger than this go straight to the CSPRNG. */
const MAX_POOLED = 256;

const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/** `length` fresh random bytes, in a Buffer the caller owns (and may wipe). */
export function freshRandomBytes(length: number): Buffer {
  if (length > MAX_POOLED) return randomBytes(length);
  if (offset + length > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.allocUnsafe(length);
  pool.copy(bytes, 0, offset, offset + length);
  pool.fill(0, offset, offset + length);
  offset += length;
  return bytes;
}
