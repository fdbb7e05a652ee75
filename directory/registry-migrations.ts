/**
 * The healthcare directory's tables, fed by the national registry extractions and by the
 * operator: professionals, their skills and diplomas, structures, activities (a
 * professional at a place of practice), secure addresses known from the extractions and
 * regional lists (boxes hosted elsewhere), and the bookkeeping of each import.
 *
 * Every imported row carries `import_id` (the last import that saw it) and `vanished_at`
 * (set when a later extraction no longer holds it, cleared if it comes back): a re-import
 * updates, adds and marks, never duplicates. Natural keys are unique.
 */
import type { Knex } from 'knex';
import type { Migration } from '../core/database.js';

function importBookkeeping(table: Knex.CreateTableBuilder): void {
  table.integer('import_id').index();
  table.string('vanished_at', 32);
  table.string('updated_at', 32).notNullable();
}

/** Postal address columns shared by structures and registry addresses (names after the extraction). */
function postalAddress(table: Knex.CreateTableBuilder): void {
  table.string('address_recipient', 128);      // Complément destinataire / L2
  table.string('address_point', 128);          // Complément point géographique / L3
  table.string('street_number', 16);
  table.string('street_repetition', 16);       // bis, ter…
  table.string('street_type', 64);
  table.string('street_name', 128);
  table.string('address_mention', 128);        // Mention distribution / lieu-dit
  table.string('cedex', 64);
  table.string('postal_code', 10).index();
  table.string('commune_code', 10).index();    // INSEE code of the commune
  table.string('city', 128);
  table.string('country_code', 8);
  table.string('country', 64);
  table.string('department_code', 4).index();
  table.string('department', 64);
}

export const registryMigrations: Migration[] = [{
  name: '20261124_20_directory_registry',
  async up(db) {
    await db.schema.createTable('imports', (table) => {
      table.increments('id');
      /** personne-activite | savoir-faire | diplomes | mssante | regional-addresses */
      table.string('kind', 32).notNullable();
      table.string('file_name', 256).notNullable();
      /** YYYYMMDDhhmm from the file name, when it has one. */
      table.string('extraction_date', 16);
      table.string('started_at', 32).notNullable();
      table.string('finished_at', 32);
      /** running | done | failed */
      table.string('status', 16).notNullable();
      table.integer('lines').notNullable().defaultTo(0);
      table.integer('accepted').notNullable().defaultTo(0);
      table.integer('rejected').notNullable().defaultTo(0);
      table.integer('added').notNullable().defaultTo(0);
      table.integer('updated').notNullable().defaultTo(0);
      table.integer('vanished').notNullable().defaultTo(0);
      table.string('actor', 320).notNullable();
      table.text('error');
    });
    await db.schema.createTable('import_rejections', (table) => {
      table.integer('import_id').notNullable().references('id').inTable('imports').onDelete('CASCADE').index();
      table.integer('line_number').notNullable();
      table.string('reason', 256).notNullable();
      table.text('excerpt');
    });
    await db.schema.createTable('professionals', (table) => {
      table.increments('id');
      /** Identification nationale PP: id_type + identifier ("8" + RPPS, "0" + ADELI). */
      table.string('national_id', 12).notNullable().unique();
      /** "8" RPPS, "0" ADELI. */
      table.string('id_type', 1).notNullable();
      table.string('identifier', 11).notNullable().index();
      table.string('civility_code', 8);
      table.string('civility', 32);
      table.string('exercise_civility_code', 8);
      table.string('exercise_civility', 32);
      /** Nom d'exercice / Prénom d'exercice (what the public extraction gives). */
      table.string('last_name', 128);
      table.string('first_name', 128);
      /** Birth (family) and usage names, when the operator knows them. */
      table.string('family_name', 128);
      table.string('usage_name', 128);
      table.string('profession_code', 8).index();
      table.string('profession', 128);
      table.string('category_code', 8);
      table.string('category', 64);
      /** Lower-case ASCII "last first" for accent- and case-insensitive prefix search. */
      table.string('search_name', 256).index();
      /** registry | operator */
      table.string('source', 16).notNullable();
      importBookkeeping(table);
    });
    await db.schema.createTable('professional_skills', (table) => {
      table.increments('id');
      table.integer('professional_id').notNullable().references('id').inTable('professionals').onDelete('CASCADE');
      table.string('type_code', 8).notNullable().defaultTo('');
      table.string('type_label', 128);
      table.string('code', 16).notNullable().index();
      table.string('label', 256);
      importBookkeeping(table);
      table.unique(['professional_id', 'type_code', 'code']);
    });
    await db.schema.createTable('professional_diplomas', (table) => {
      table.increments('id');
      table.integer('professional_id').notNullable().references('id').inTable('professionals').onDelete('CASCADE');
      /** diploma | authorisation */
      table.string('kind', 16).notNullable();
      table.string('type_code', 16).notNullable().defaultTo('');
      table.string('type_label', 128);
      table.string('code', 32).notNullable().defaultTo('');
      table.string('label', 256);
      importBookkeeping(table);
      table.unique(['professional_id', 'kind', 'type_code', 'code']);
    });
    await db.schema.createTable('structures', (table) => {
      table.increments('id');
      /** Identifiant technique de la structure (registry), or `FINESS:<n>` / `SIRET:<n>` for operator-made ones. */
      table.string('technical_id', 64).notNullable().unique();
      table.string('finess_site', 9).index();
      table.string('finess_legal', 9).index();
      table.string('siret', 14).index();
      table.string('siren', 9);
      table.string('name', 256);
      table.string('trade_name', 256);
      /** Lower-case ASCII name for search. */
      table.string('search_name', 256).index();
      postalAddress(table);
      table.string('phone', 32);
      table.string('phone2', 32);
      table.string('fax', 32);
      table.string('email', 320);
      table.string('source', 16).notNullable();
      importBookkeeping(table);
    });
    await db.schema.createTable('activities', (table) => {
      table.increments('id');
      /** Digest of the natural key (professional, structure, role, mode, genre, sector, section). */
      table.string('activity_key', 64).notNullable().unique();
      table.integer('professional_id').notNullable().references('id').inTable('professionals').onDelete('CASCADE').index();
      table.integer('structure_id').references('id').inTable('structures').onDelete('SET NULL').index();
      table.string('mode_code', 8);
      table.string('mode', 64);
      table.string('sector_code', 8);
      table.string('sector', 128);
      table.string('pharmacy_section_code', 8);
      table.string('pharmacy_section', 128);
      table.string('role_code', 8);
      table.string('role', 128);
      table.string('genre_code', 8);
      table.string('genre', 128);
      table.string('registration_authority', 64);
      table.string('function', 128);
      importBookkeeping(table);
    });
    await db.schema.createTable('registry_addresses', (table) => {
      table.increments('id');
      table.string('address', 320).notNullable().unique();
      /** mssante | apicrypt | regional */
      table.string('network', 16).notNullable();
      /** PER | ORG | APP */
      table.string('box_type', 3).notNullable();
      table.string('national_id', 12).index();
      table.integer('professional_id').references('id').inTable('professionals').onDelete('SET NULL').index();
      table.string('structure_id_type', 8);
      table.string('structure_identifier', 64).index();
      table.string('service', 256);
      table.string('civility', 32);
      table.string('last_name', 128);
      table.string('first_name', 128);
      table.string('category_code', 8);
      table.string('category', 64);
      table.string('profession_code', 8);
      table.string('profession', 128);
      table.string('skill_code', 16);
      table.string('skill', 256);
      table.string('dematerialisation', 8);
      table.string('structure_name', 256);
      table.string('structure_trade_name', 256);
      table.string('search_name', 256).index();
      postalAddress(table);
      /** mssante-extraction | regional-list */
      table.string('source', 24).notNullable();
      importBookkeeping(table);
    });
  },
  async down(db) {
    for (const name of ['registry_addresses', 'activities', 'structures', 'professional_diplomas', 'professional_skills', 'professionals', 'import_rejections', 'imports']) {
      await db.schema.dropTable(name);
    }
  },
}, {
  name: '20261124_30_directory_lifecycle',
  async up(db) {
    await db.schema.alterTable('mailboxes', (table) => {
      /** PER: the owner; ORG/APP: the responsible professional. */
      table.integer('professional_id').references('id').inTable('professionals').onDelete('SET NULL');
      table.integer('structure_id').references('id').inTable('structures').onDelete('SET NULL');
      /** ORG/APP: what the box is for ("Service de cardiologie"). */
      table.string('description', 256);
      /** active | deleted */
      table.string('status', 16).notNullable().defaultTo('active');
      /** The owner refused publication (liste rouge): never published by the lifecycle. */
      table.boolean('unlisted').notNullable().defaultTo(false);
      table.string('unpublished_at', 32);
      /** Why the box is unpublished: inactivity (the lifecycle; a connection republishes) | operator | unlisted */
      table.string('unpublished_reason', 16);
      table.string('deleted_at', 32);
      /** The usual (non-secure) address notices and alerts go to. */
      table.string('notification_address', 320);
    });
    await db.schema.createTable('mailbox_events', (table) => {
      table.increments('id');
      table.integer('mailbox_id').notNullable().index();
      table.string('at', 32).notNullable();
      /** created | published | unpublished | deleted | notice | delegation-added | delegation-removed | credentials-reset | updated */
      table.string('kind', 32).notNullable();
      table.string('actor', 320).notNullable();
      table.string('reason', 512);
      table.text('details');
    });
    await db.schema.createTable('lifecycle_notices', (table) => {
      table.increments('id');
      table.integer('mailbox_id').notNullable().references('id').inTable('mailboxes').onDelete('CASCADE');
      /** unpublish | delete */
      table.string('step', 16).notNullable();
      /** notice | reminder */
      table.string('kind', 16).notNullable();
      /** When the step will happen, as computed when the notice went out. */
      table.string('due_at', 32).notNullable();
      table.string('sent_at', 32).notNullable();
      /** The connection the notice was computed from: a new connection starts a new cycle. */
      table.string('cycle_from', 32).notNullable();
      table.unique(['mailbox_id', 'step', 'kind', 'cycle_from']);
    });
    await db.schema.createTable('delegations', (table) => {
      table.increments('id');
      table.integer('mailbox_id').notNullable().references('id').inTable('mailboxes').onDelete('CASCADE').index();
      table.integer('delegate_mailbox_id').notNullable().references('id').inTable('mailboxes').onDelete('CASCADE').index();
      /** member (of an organisational box) | delegate (for a while, e.g. an absence) */
      table.string('role', 16).notNullable();
      /** Comma-separated subset of read, send, manage. */
      table.string('rights', 64).notNullable();
      table.string('valid_from', 32).notNullable();
      table.string('valid_until', 32);
      table.string('created_at', 32).notNullable();
      table.string('created_by', 320).notNullable();
      table.string('revoked_at', 32);
    });
  },
  async down(db) {
    await db.schema.dropTable('delegations');
    await db.schema.dropTable('lifecycle_notices');
    await db.schema.dropTable('mailbox_events');
    await db.schema.alterTable('mailboxes', (table) => {
      for (const c of ['professional_id', 'structure_id', 'description', 'status', 'unlisted', 'unpublished_at', 'unpublished_reason', 'deleted_at', 'notification_address']) table.dropColumn(c);
    });
  },
}, {
  name: '20261124_31_directory_views',
  /**
   * One rule for who may see which secure address, shared by LDAP, search and the API:
   * the boxes hosted here are authoritative for their addresses (visible while published
   * and active, whatever a national extraction still says), and the addresses known from
   * extractions and regional lists are visible until a later import no longer holds them.
   */
  async up(db) {
    await db.raw(`CREATE VIEW directory_addresses AS
      SELECT a.address, a.network, m.type AS box_type, m.professional_id, p.national_id, m.id AS mailbox_id,
             m.structure_id, NULL AS registry_address_id, 'hosted' AS source,
             CASE WHEN m.published AND m.status = 'active' THEN 1 ELSE 0 END AS visible
        FROM addresses a
        JOIN mailboxes m ON m.id = a.mailbox_id
        LEFT JOIN professionals p ON p.id = m.professional_id
      UNION ALL
      SELECT r.address, r.network, r.box_type, r.professional_id, r.national_id, NULL AS mailbox_id,
             NULL AS structure_id, r.id AS registry_address_id, r.source,
             CASE WHEN r.vanished_at IS NULL THEN 1 ELSE 0 END AS visible
        FROM registry_addresses r
       WHERE NOT EXISTS (SELECT 1 FROM addresses h WHERE h.address = r.address)`);
  },
  async down(db) {
    await db.raw('DROP VIEW directory_addresses');
  },
}];
