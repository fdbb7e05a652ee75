/**
 * The national registry import (directory/registry/README.md): extraction files to the
 * directory's tables, and what operators read back.
 */
export { RegistryService, type RegistryServiceOptions, type ImportFilesOptions, type ImportSummary, type ProfessionalRecord, type ActivityRecord, type StructureRecord } from './service.js';
export type { ImportResult, ImportProgress, ImportRunOptions, StoredRejection, TableFigures } from './importer.js';
export { IMPORT_KINDS, parseKind, kindOfFileName, type ImportKind } from './kinds.js';
export { resolveSources, type ImportSource } from './sources.js';
export { registryImportMigrations } from './migrations.js';
export { formatImportResult, formatImportList, formatRejections, formatProfessional } from './report.js';
export { ProgressBar } from './progress.js';
export { searchKey } from './text.js';
export type { Language } from './rejections.js';
