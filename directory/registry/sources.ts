/**
 * What to import, from the paths an operator gives: plain extraction files (.txt, .csv)
 * or the ZIP archives as downloaded (the PS_LibreAcces archive holds three files, the
 * MSSanté one a single file). Each file found becomes one source of one kind, ordered so
 * that professionals are imported before what links to them.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { HygieError } from '../../core/errors.js';
import { extractionDateOf, kindOfFileName, kindOrder, type ImportKind } from './kinds.js';
import { listZipEntries, openZipEntry } from './zip.js';

/** Bytes read at a time. */
export const READ_CHUNK = 512 * 1024;

export interface ImportSource {
  /** The file's own name (the entry's, inside an archive): it tells the kind and the date. */
  name: string;
  /** Where it is, for messages: the path, or `archive.zip:entry.txt`. */
  location: string;
  kind: ImportKind;
  /** YYYYMMDDhhmm from the name, when it has one. */
  extractionDate: string | undefined;
  /** Total of the bytes `open` reports (compressed bytes for an archive entry), for progress. */
  size: number;
  /** The content; `onBytes` hears of every chunk read from the disk. */
  open(onBytes?: (bytes: number) => void): Promise<Readable>;
}

/**
 * The sources in `paths`, in import order. `kind` overrides what names say: it is the
 * kind of every plain file, and for an archive of several files it selects the entries
 * of that kind. Fails before anything is imported if a path cannot be read or its kind
 * cannot be told.
 */
export async function resolveSources(paths: readonly string[], kind?: ImportKind): Promise<ImportSource[]> {
  const sources: ImportSource[] = [];
  for (const file of paths) {
    const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
      throw new HygieError('INVALID_INPUT', `cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
    });
    if (!info.isFile()) throw new HygieError('INVALID_INPUT', `${file} is not a file`);
    sources.push(...(/\.zip$/i.test(file) ? await archiveSources(file, kind) : [plainSource(file, info.size, kind)]));
  }
  return sources
    .map((source, position) => ({ source, position }))
    .sort((a, b) => kindOrder(a.source.kind) - kindOrder(b.source.kind) || a.position - b.position)
    .map(({ source }) => source);
}

function plainSource(file: string, size: number, kind: ImportKind | undefined): ImportSource {
  const name = path.basename(file);
  return {
    name,
    location: file,
    kind: kind ?? requireKind(name, file),
    extractionDate: extractionDateOf(name),
    size,
    async open(onBytes) {
      const stream = createReadStream(file, { highWaterMark: READ_CHUNK });
      if (onBytes) stream.on('data', (chunk) => onBytes(chunk.length));
      return stream;
    },
  };
}

async function archiveSources(file: string, kind: ImportKind | undefined): Promise<ImportSource[]> {
  const entries = (await listZipEntries(file)).filter((entry) => /\.(txt|csv)$/i.test(entry.name));
  const named = entries.map((entry) => ({ entry, kind: kindOfFileName(path.basename(entry.name)) }));
  let chosen = named.filter((n) => n.kind !== undefined && (!kind || n.kind === kind));
  if (kind && chosen.length === 0 && entries.length === 1) chosen = [{ entry: entries[0] as (typeof entries)[number], kind }];
  if (chosen.length === 0) {
    const listed = entries.map((e) => e.name).join(', ') || 'no .txt or .csv file';
    throw new HygieError('INVALID_INPUT', `${file} holds no extraction file${kind ? ` of kind ${kind}` : ''} that can be recognised by name (${listed}); give --kind for an archive of one file`);
  }
  return chosen.map(({ entry, kind: entryKind }) => {
    const name = path.basename(entry.name);
    return {
      name,
      location: `${file}:${entry.name}`,
      kind: entryKind as ImportKind,
      extractionDate: extractionDateOf(name) ?? extractionDateOf(path.basename(file)),
      size: entry.compressedSize,
      open: (onBytes) => openZipEntry(file, entry, onBytes),
    };
  });
}

function requireKind(name: string, file: string): ImportKind {
  const kind = kindOfFileName(name);
  if (!kind) throw new HygieError('INVALID_INPUT', `cannot tell what ${file} holds from its name; give --kind (personne-activite, savoir-faire, diplomes, mssante, regional-addresses)`);
  return kind;
}
