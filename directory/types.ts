/**
 * The directory's public types: what other modules (gateway, webmail, LDAP front end)
 * may know of mailboxes, addresses and authenticated users.
 */

/** MSSanté mailbox types: personal (nominative), organisational, applicative. */
export type MailboxType = 'PER' | 'ORG' | 'APP';

/** The networks an address belongs to (DESIGN.md's address table). */
export type AddressNetwork = 'regional' | 'apicrypt' | 'mssante';

export interface MailboxAddress {
  address: string;
  network: AddressNetwork;
}

export interface MailboxSummary {
  id: number;
  type: MailboxType;
  displayName: string;
  firstName: string | null;
  lastName: string | null;
  /** 11-digit RPPS number, if any. */
  rpps: string | null;
  /** 9-character ADELI number, if any. */
  adeli: string | null;
  profession: string | null;
  /** Health professional (has an RPPS or ADELI number): gets an MSSanté address. */
  isHealthProfessional: boolean;
  published: boolean;
  createdAt: string;
  lastLoginAt: string | null;
  /** PER: the owner in the directory; ORG/APP: the responsible professional. */
  professionalId: number | null;
  structureId: number | null;
  /** ORG/APP: what the box is for. */
  description: string | null;
  status: MailboxStatus;
  /** The owner refused publication (liste rouge). */
  unlisted: boolean;
  unpublishedAt: string | null;
  unpublishedReason: UnpublishedReason | null;
  deletedAt: string | null;
  /** Usual (non-secure) address for notices and alerts: never receives health data. */
  notificationAddress: string | null;
  addresses: MailboxAddress[];
}

export type MailboxStatus = 'active' | 'deleted';

/** inactive: the lifecycle rule (a connection republishes); operator: by hand; unlisted: the owner's choice. */
export type UnpublishedReason = 'inactive' | 'operator' | 'unlisted';

/** What a delegate may do with a box: read it, send as it, manage its delegations and settings. */
export type DelegationRight = 'read' | 'send' | 'manage';

export interface Delegation {
  id: number;
  mailboxId: number;
  delegateMailboxId: number;
  /** member: of an organisational box, open-ended; delegate: for a while (an absence). */
  role: 'member' | 'delegate';
  rights: DelegationRight[];
  validFrom: string;
  validUntil: string | null;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

/** One line of a box's history, as operators read it. */
export interface MailboxEvent {
  at: string;
  kind: string;
  actor: string;
  reason: string | null;
  details: Record<string, unknown>;
}

/** Where an authentication attempt comes from, for rate limits and the audit trail. */
export interface AuthContext {
  channel: 'submission' | 'imap' | 'webmail' | 'cli' | 'api';
  remoteAddress?: string;
}

export interface AuthenticatedUser {
  mailboxId: number;
  /** The login as typed (one of the mailbox's addresses). */
  login: string;
  displayName: string;
  addresses: MailboxAddress[];
}

/**
 * Checks a login (any address of the box) and password. On success it records the
 * connection time (the lifecycle rules need it) and audits the login; on failure it
 * throws HygieError AUTH_FAILED or AUTH_RATE_LIMITED and audits the refusal.
 */
export interface Authenticator {
  authenticate(login: string, password: string, context: AuthContext): Promise<AuthenticatedUser>;
}

/** A published mailbox as the LDAP service and address book show it: no credentials, no activity. */
export type PublishedEntry = Pick<MailboxSummary, 'type' | 'displayName' | 'firstName' | 'lastName' | 'rpps' | 'adeli' | 'profession' | 'addresses'> & {
  mailboxId: number;
};

/** Read access to what the directory publishes (anonymous LDAP sees only this). */
export interface PublishedDirectory {
  listPublished(): Promise<PublishedEntry[]>;
}
