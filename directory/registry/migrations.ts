/**
 * What the registry import adds to the directory's tables: the per-table figures of an
 * import (how many professionals, structures, activities… were added, updated or marked
 * vanished, and the rejections by reason), kept as JSON beside the totals.
 */
import type { Migration } from '../../core/database.js';

export const registryImportMigrations: Migration[] = [{
  name: '20261124_40_registry_import_details',
  async up(db) {
    await db.schema.alterTable('imports', (table) => {
      table.text('details');
    });
  },
  async down(db) {
    await db.schema.alterTable('imports', (table) => {
      table.dropColumn('details');
    });
  },
}];
