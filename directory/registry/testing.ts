/**
 * Tests only: where the sample files are, a database with the registry's tables, and a
 * small ZIP writer (stored or deflated entries, optionally with data descriptors as
 * streaming zippers write them) to check archive input without shipping binaries.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import type { Knex } from 'knex';
import { AuditTrail, auditMigrations } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import { openDatabase, type Migration } from '../../core/database.js';
import { directoryMigrations } from '../migrations.js';
import { RegistryService, type RegistryServiceOptions } from './service.js';

/** The samples, from the source tree (tsc copies no .txt into dist/). */
export function samplePath(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? '../../../directory/registry/samples' : 'samples', name);
}

/** Every migration the registry needs: the directory's (its own included) and the audit trail's. */
export function registryTestMigrations(): Migration[] {
  return [...auditMigrations, ...directoryMigrations];
}

export interface TestRegistry {
  db: Knex;
  audit: AuditTrail;
  service: RegistryService;
  dir: string;
  close(): Promise<void>;
}

/** A registry over a fresh SQLite database in a temporary folder, or the PostgreSQL database at `url`. */
export async function openTestRegistry(clock: Clock, options: Partial<RegistryServiceOptions> = {}, url = ''): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-registry-'));
  const db = await openDatabase({ url, dataDir: dir, migrations: registryTestMigrations() });
  const audit = new AuditTrail(db, clock);
  return {
    db, audit, dir,
    service: new RegistryService({ db, clock, audit, ...options }),
    async close() {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ZipInput {
  name: string;
  data: Buffer;
}

/** Writes a ZIP archive; `dataDescriptor` puts sizes and CRC after the data, as streaming writers do. */
export function writeZip(file: string, entries: readonly ZipInput[], options: { deflate?: boolean; dataDescriptor?: boolean } = {}): void {
  const deflate = options.deflate ?? true;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const body = deflate ? deflateRawSync(entry.data) : entry.data;
    const crc = crc32(entry.data);
    const flags = 0x800 | (options.dataDescriptor ? 0x8 : 0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(options.dataDescriptor ? 0 : crc, 14);
    local.writeUInt32LE(options.dataDescriptor ? 0 : body.length, 18);
    local.writeUInt32LE(options.dataDescriptor ? 0 : entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const descriptor = Buffer.alloc(options.dataDescriptor ? 16 : 0);
    if (options.dataDescriptor) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeUInt32LE(body.length, 8);
      descriptor.writeUInt32LE(entry.data.length, 12);
    }
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(flags, 8);
    header.writeUInt16LE(deflate ? 8 : 0, 10);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(body.length, 20);
    header.writeUInt32LE(entry.data.length, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    parts.push(local, name, body, descriptor);
    offset += local.length + name.length + body.length + descriptor.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(file, Buffer.concat([...parts, directory, end]));
}
