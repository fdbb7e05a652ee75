import { createTestPostgresDatabase, postgresUnavailable } from '../../core/testing-postgres.js';
import { defineImportTests } from './import-suite.js';

defineImportTests('PostgreSQL', { database: () => createTestPostgresDatabase('hygie_registry'), skip: await postgresUnavailable() });
