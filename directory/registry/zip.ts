/**
 * Just enough of ZIP to read the extractions as downloaded: the central directory (ZIP64
 * included: the national Personne_activite file approaches a gigabyte), and one entry as a
 * stream (stored or deflated), its CRC-32 and size checked at the end so that a truncated
 * download fails the import instead of importing part of the file.
 */
import { open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { HygieError } from '../../core/errors.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const MAX_32 = 0xffffffff;

function notZip(file: string, why: string): HygieError {
  return new HygieError('INVALID_INPUT', `${file} is not a readable ZIP archive: ${why}`);
}

async function readAt(handle: Awaited<ReturnType<typeof open>>, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** The files of the archive (folders left out). */
export async function listZipEntries(file: string): Promise<ZipEntry[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, 22 + 0xffff + 20);
    const tail = await readAt(handle, tailLength, size - tailLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) { eocd = i; break; }
    }
    if (eocd < 0) throw notZip(file, 'no end of central directory');
    let count = tail.readUInt16LE(eocd + 10);
    let directorySize = tail.readUInt32LE(eocd + 12);
    let directoryOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || directorySize === MAX_32 || directoryOffset === MAX_32) {
      const locator = eocd - 20;
      if (locator < 0 || tail.readUInt32LE(locator) !== ZIP64_LOCATOR) throw notZip(file, 'ZIP64 locator missing');
      const record = await readAt(handle, 56, Number(tail.readBigUInt64LE(locator + 8)));
      if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD) throw notZip(file, 'ZIP64 end of central directory missing');
      count = Number(record.readBigUInt64LE(32));
      directorySize = Number(record.readBigUInt64LE(40));
      directoryOffset = Number(record.readBigUInt64LE(48));
    }
    const directory = await readAt(handle, directorySize, directoryOffset);
    return parseCentralDirectory(file, directory, count);
  } finally {
    await handle.close();
  }
}

function parseCentralDirectory(file: string, directory: Buffer, count: number): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let n = 0; n < count; n++) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL_ENTRY) throw notZip(file, 'damaged central directory');
    const flags = directory.readUInt16LE(at + 8);
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    const nameBytes = directory.subarray(at + 46, at + 46 + nameLength);
    const entry: ZipEntry = {
      // Bit 11: the name is UTF-8; otherwise CP437, of which the extraction names use only ASCII.
      name: nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1'),
      method: directory.readUInt16LE(at + 10),
      flags,
      crc32: directory.readUInt32LE(at + 16),
      compressedSize: directory.readUInt32LE(at + 20),
      uncompressedSize: directory.readUInt32LE(at + 24),
      localHeaderOffset: directory.readUInt32LE(at + 42),
    };
    applyZip64Extra(entry, directory.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
    if (!entry.name.endsWith('/')) entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** ZIP64 extra field: the 64-bit values, in this order, of those whose 32-bit field is saturated. */
function applyZip64Extra(entry: ZipEntry, extra: Buffer): void {
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let field = at + 4;
      const next = (): number => { const value = Number(extra.readBigUInt64LE(field)); field += 8; return value; };
      if (entry.uncompressedSize === MAX_32) entry.uncompressedSize = next();
      if (entry.compressedSize === MAX_32) entry.compressedSize = next();
      if (entry.localHeaderOffset === MAX_32) entry.localHeaderOffset = next();
      return;
    }
    at += 4 + length;
  }
}

/**
 * The entry's content as a stream. `onBytes` is told of each compressed chunk read, for a
 * progress bar measured against `entry.compressedSize`.
 */
export async function openZipEntry(file: string, entry: ZipEntry, onBytes?: (bytes: number) => void, chunkSize = 512 * 1024): Promise<Readable> {
  if (entry.flags & 0x1) throw notZip(file, `${entry.name} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) throw notZip(file, `${entry.name} uses compression method ${entry.method} (only stored and deflate are read)`);
  const handle = await open(file, 'r');
  let header: Buffer;
  try {
    header = await readAt(handle, 30, entry.localHeaderOffset);
  } finally {
    await handle.close();
  }
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL_HEADER) throw notZip(file, `local header of ${entry.name} missing`);
  const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const raw = createReadStream(file, { start, end: start + entry.compressedSize - 1, highWaterMark: chunkSize });
  const check = new EntryCheck(file, entry);
  const output = entry.method === 8
    ? pipeline(raw, createInflateRaw({ chunkSize }), check, () => undefined)
    : pipeline(raw, check, () => undefined);
  if (onBytes) raw.on('data', (chunk: Buffer | string) => onBytes(chunk.length));
  return output;
}

/** Passes the content through and fails at the end if its CRC-32 or size is not the announced one. */
class EntryCheck extends Transform {
  private crc = 0;
  private size = 0;

  constructor(private readonly file: string, private readonly entry: ZipEntry) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.size += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.size !== this.entry.uncompressedSize || this.crc !== this.entry.crc32) {
      done(notZip(this.file, `${this.entry.name} is damaged or truncated (${this.size} bytes, CRC ${this.crc.toString(16)}; expected ${this.entry.uncompressedSize} bytes, CRC ${this.entry.crc32.toString(16)})`));
      return;
    }
    done();
  }
}
