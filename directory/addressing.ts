/**
 * The address scheme of DESIGN.md: one request creates, for the same mailbox,
 *   health professional:     prenom.nom@<regional>, prenom.nom.<label>@<apicryptHealth>, prenom.nom@<mssante>
 *   non-health professional: prenom.nom@<regional>, prenom.nom.<label>@<apicryptOther>
 * Local parts are lower-case ASCII: accents dropped, spaces and apostrophes become hyphens.
 */
import type { OperatorDomains } from '../core/config.js';
import type { AddressNetwork, MailboxAddress } from './types.js';

export function localPartOf(firstName: string, lastName: string): string {
  return `${slug(firstName)}.${slug(lastName)}`;
}

function slug(name: string): string {
  return name
    .normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[Ææ]/g, 'ae').replace(/[Œœ]/g, 'oe').replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[\s'’_]+/g, '-')
    .replace(/[^a-z0-9-]/g, '')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * The addresses of a personal mailbox. `suffix` disambiguates namesakes
 * (jean.martin, then jean.martin2, …) and is applied to every network alike.
 */
export function personalAddresses(options: {
  firstName: string;
  lastName: string;
  isHealthProfessional: boolean;
  domains: OperatorDomains;
  suffix?: number;
}): MailboxAddress[] {
  const base = localPartOf(options.firstName, options.lastName) + (options.suffix && options.suffix > 1 ? String(options.suffix) : '');
  const { domains } = options;
  const list: MailboxAddress[] = [
    { address: `${base}@${domains.regional}`, network: 'regional' },
    {
      address: `${base}.${domains.apicryptLabel}@${options.isHealthProfessional ? domains.apicryptHealth : domains.apicryptOther}`,
      network: 'apicrypt',
    },
  ];
  if (options.isHealthProfessional) list.push({ address: `${base}@${domains.mssante}`, network: 'mssante' });
  return list;
}

/** Every domain this operator serves: mail to any other domain is not ours to deliver locally. */
export function servedDomains(domains: OperatorDomains): string[] {
  return [domains.regional, domains.mssante, domains.apicryptHealth, domains.apicryptOther].map((d) => d.toLowerCase());
}

export function networkOfDomain(domain: string, domains: OperatorDomains): AddressNetwork | undefined {
  const d = domain.toLowerCase();
  if (d === domains.regional.toLowerCase()) return 'regional';
  if (d === domains.mssante.toLowerCase()) return 'mssante';
  if (d === domains.apicryptHealth.toLowerCase() || d === domains.apicryptOther.toLowerCase()) return 'apicrypt';
  return undefined;
}

/** Lower-cases the domain and keeps the local part as typed (compared case-insensitively by the directory). */
export function normaliseAddress(address: string): string {
  return address.trim().toLowerCase();
}
