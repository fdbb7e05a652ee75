/** Directory search: the library the webmail's address book and the operator API call. */
export { DirectorySearch, type DirectorySearchOptions } from './directory-search.js';
export { CommuneGazetteer, AmbiguousCityError, haversineKm, type Commune, type GeoPoint } from './gazetteer.js';
export { loadCommuneGazetteer, readCommuneCentres, type GazetteerSource } from './communes-source.js';
export { parseNear, MAX_RADIUS_KM, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, type DirectoryQuery, type NearQuery, type SearchOptions, type ResultKind } from './query.js';
export { searchMigrations } from './migrations.js';
export { searchKey } from './text.js';
export type * from './results.js';
