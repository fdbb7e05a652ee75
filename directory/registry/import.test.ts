import { defineImportTests } from './import-suite.js';

defineImportTests('SQLite', { database: async () => ({ url: '', drop: async () => undefined }) });
