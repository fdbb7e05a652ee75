/** The command registry: verb → spec. A new extension registers its command files here. */
import { deleteAcl, getAcl, listRights, myRights, setAcl } from './acl.js';
import { append } from './append.js';
import { capability } from './capability.js';
import { close, unselect } from './close.js';
import { compress } from './compress.js';
import { copy, move, uidCopy, uidMove } from './copy.js';
import { enable } from './enable.js';
import { expunge, uidExpunge } from './expunge.js';
import { fetch, uidFetch } from './fetch.js';
import { create, deleteFolder, rename, subscribe, unsubscribe } from './folders.js';
import { id } from './id.js';
import { idle } from './idle.js';
import { list, lsub } from './list.js';
import { authenticate, login } from './login.js';
import { logout } from './logout.js';
import { namespace } from './namespace.js';
import { check, noop } from './noop.js';
import { getQuota, getQuotaRoot, setQuota } from './quota.js';
import { search, uidSearch } from './search.js';
import { examine, select } from './select.js';
import { starttls } from './starttls.js';
import { status } from './status.js';
import { store, uidStore } from './store.js';
import type { CommandSpec } from './types.js';

export function buildCommandRegistry(specs: readonly CommandSpec[]): ReadonlyMap<string, CommandSpec> {
  const registry = new Map<string, CommandSpec>();
  for (const spec of specs) {
    if (registry.has(spec.name)) throw new Error(`IMAP command ${spec.name} registered twice`);
    registry.set(spec.name, spec);
  }
  return registry;
}

export const COMMANDS: ReadonlyMap<string, CommandSpec> = buildCommandRegistry([
  capability, noop, check, logout, id,
  starttls, login, authenticate,
  enable, namespace, list, lsub, status, select, examine, append, idle,
  close, unselect, expunge, uidExpunge, fetch, uidFetch, store, uidStore, search, uidSearch,
  copy, uidCopy, move, uidMove, create, deleteFolder, rename, subscribe, unsubscribe,
  getQuota, getQuotaRoot, setQuota, getAcl, setAcl, deleteAcl, listRights, myRights, compress,
]);
