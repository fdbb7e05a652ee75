/**
 * The contract between the session and the command modules: each module exports a
 * CommandSpec (verb, states it is allowed in, handler); handlers talk to the client and
 * the store only through CommandContext, so a new extension is a new file in this folder.
 */
import type { Logger } from '../../../core/logger.js';
import type { AuthenticatedUser, Authenticator } from '../../../directory/types.js';
import type { MessageStore } from '../../store/types.js';
import type { MailboxAccess } from '../mailbox-access.js';
import type { MailboxView, ReportMode } from '../mailbox-view.js';
import type { ResponseCode, ResponseValue } from '../proto/compiler.js';
import type { ParsedCommand } from '../proto/tokens.js';

export type SessionState = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

/** Extensions a client turns on (ENABLE, or implicitly by using them): they change what untagged responses say. */
export type Extension = 'CONDSTORE' | 'QRESYNC';

export const ANY_STATE: readonly SessionState[] = ['not-authenticated', 'authenticated', 'selected'];
export const AUTHENTICATED: readonly SessionState[] = ['authenticated', 'selected'];
export const NOT_AUTHENTICATED: readonly SessionState[] = ['not-authenticated'];
export const SELECTED: readonly SessionState[] = ['selected'];

export interface CommandResult {
  status: 'OK' | 'NO' | 'BAD';
  text: string;
  code?: ResponseCode;
}

export interface ImapLimits {
  maxMessageSize: number;
}

export interface CommandContext {
  readonly id: string;
  readonly state: SessionState;
  /** TLS is active (implicit or after STARTTLS). */
  readonly secure: boolean;
  readonly user: AuthenticatedUser | null;
  readonly selected: MailboxView | null;
  readonly remoteAddress: string;
  readonly store: MessageStore;
  readonly authenticator: Authenticator;
  readonly limits: ImapLimits;
  readonly logger: Logger;
  /** Name resolution, shared boxes and rights; set once authenticated. */
  readonly access: MailboxAccess | null;
  readonly enabled: ReadonlySet<Extension>;
  /** The connection is gone: long commands stop early. */
  readonly isClosed: boolean;

  capabilities(): string[];
  /** Turns on CONDSTORE or QRESYNC for the rest of the connection. */
  enable(extension: Extension): void;
  /** MODSEQ in FETCH updates (CONDSTORE), VANISHED instead of EXPUNGE (QRESYNC). */
  reportMode(): ReportMode;
  /** Writes `* <values>`; resolves once the socket accepts more (backpressure). */
  send(values: readonly ResponseValue[]): Promise<void>;
  /** Writes an untagged status: `* OK [CODE] text`. */
  sendStatus(status: 'OK' | 'NO' | 'BAD' | 'BYE', text: string, code?: ResponseCode): Promise<void>;
  /** Writes `+ text` and waits for nothing. */
  continuation(text: string): Promise<void>;
  /** The client's next raw line (IDLE's DONE, a SASL response); null when the connection ends. */
  readLine(): Promise<Buffer | null>;

  /** Enters the authenticated state. */
  authenticated(user: AuthenticatedUser): void;
  /** Enters the selected state with this view (leaving any previous one). */
  select(view: MailboxView): void;
  /** Back to the authenticated state. */
  deselect(): void;
  /** Upgrades the connection to TLS right after the tagged OK is written. */
  startTlsAfterResponse(): void;
  /** Closes the connection after the tagged response is written. */
  logoutAfterResponse(): void;
  /** Starts DEFLATE in both directions right after the tagged OK (RFC 4978). */
  compressAfterResponse(): void;
  readonly compressed: boolean;
  /** Sends pending changes of the selected folder (EXISTS, EXPUNGE, FETCH FLAGS). */
  flushNotifications(options: { allowExpunge: boolean; force: boolean }): Promise<void>;
  /** Calls `listener` on each change to the selected folder until the returned function is called. */
  onFolderChange(listener: () => void): () => void;
}

export interface CommandSpec {
  /** Verb as sent, upper case (`FETCH`, `UID FETCH`). */
  name: string;
  states: readonly SessionState[];
  /**
   * Untagged updates sent before the tagged response: all, none, or all but EXPUNGE
   * (FETCH, STORE and SEARCH by sequence number, RFC 3501 7.4.1).
   */
  notifications?: 'all' | 'no-expunge' | 'none';
  handler(context: CommandContext, command: ParsedCommand): Promise<CommandResult>;
}

export function ok(text: string, code?: ResponseCode): CommandResult {
  return code ? { status: 'OK', text, code } : { status: 'OK', text };
}

export function no(text: string, code?: ResponseCode): CommandResult {
  return code ? { status: 'NO', text, code } : { status: 'NO', text };
}

export function bad(text: string, code?: ResponseCode): CommandResult {
  return code ? { status: 'BAD', text, code } : { status: 'BAD', text };
}

/** The selected view, for handlers registered only in the selected state. */
export function selectedView(context: CommandContext): MailboxView {
  if (!context.selected) throw new Error('no mailbox selected');
  return context.selected;
}

export function requireUser(context: CommandContext): AuthenticatedUser {
  if (!context.user) throw new Error('not authenticated');
  return context.user;
}

export function requireAccess(context: CommandContext): MailboxAccess {
  if (!context.access) throw new Error('not authenticated');
  return context.access;
}
