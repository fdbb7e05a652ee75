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
  addresses: MailboxAddress[];
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
