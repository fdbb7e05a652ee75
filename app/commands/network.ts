/** `hygie network …`: the network profiles, where an address goes, and the MSSanté trust list. */
import { withContext, operatorActor } from './shared.js';
import { UsageError, type CliCommand } from './types.js';

const list: CliCommand = {
  words: ['network', 'list'],
  usage: '\n      the network profiles: domains, identity, protection, transport',
  run: ({ config }) => withContext(config, async (context) => {
    const d = config.operator.domains;
    console.log(`local      ${[d.regional, d.mssante, d.apicryptHealth, d.apicryptOther].join(', ')}: delivered here`);
    for (const p of context.router.profiles) {
      const s = p.settings;
      const transport = s.relayHost ? `relay ${s.relayHost}:${s.port}` : `MX of each domain, port ${s.port}`;
      const domains = [...(p.usesTrustList ? ['(MSSanté trust list)'] : []), ...p.domains].join(', ') || '(none)';
      console.log(`${p.name.padEnd(10)} ${domains}\n           identity: ${p.identity} address; protection: ${p.protection}${p.mutualTls ? ' (mutual TLS)' : ''}; ${transport}` +
        `${p.name === 'external' ? `; plain mail ${p.allowPlain ? 'allowed for non-health boxes' : 'refused'}` : ''}`);
    }
    const info = await context.trustList.info();
    console.log(info ? `trust list ${info.domains} domains, generated ${info.generatedAt ?? '?'}, loaded ${info.loadedAt} from ${info.source}` : 'trust list not loaded yet (hygie network trust-list load SOURCE)');
    return 0;
  }),
};

const route: CliCommand = {
  words: ['network', 'route'],
  usage: 'ADDRESS [--from SENDER]\n      which network an address is in, and, with --from, the identity and protection a message from SENDER would get',
  options: { from: { type: 'string' } },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const address = args[0];
    if (!address) throw new UsageError('give the recipient ADDRESS');
    const decision = await context.router.route(address);
    if (decision.kind === 'local') {
      const found = await context.mailboxes.resolveAddress(address);
      console.log(`${address}: local, ${found ? `mailbox ${found.mailboxId}${found.deleted ? ' (deleted: refused)' : ''}` : 'no such mailbox (refused)'}`);
      return 0;
    }
    console.log(`${address}: ${decision.profile.name} network, protection ${decision.profile.protection}`);
    if (typeof values.from === 'string') {
      const box = await context.mailboxes.requireMailbox(values.from);
      const sender = { mailboxId: box.id, displayName: box.displayName, addresses: box.addresses, isHealthProfessional: box.isHealthProfessional };
      await context.router.routeFor(address, sender);
      const identity = box.addresses.find((a) => a.network === decision.profile.identity)?.address;
      console.log(`from ${values.from}: sent as ${identity}`);
    }
    return 0;
  }),
};

const loadTrustList: CliCommand = {
  words: ['network', 'trust-list', 'load'],
  usage: 'SOURCE\n      load the MSSanté trust list (listeblanchemssante.xml) from a file or an https URL',
  run: ({ args, config }) => withContext(config, async (context) => {
    if (!args[0]) throw new UsageError('give the file or URL of the trust list');
    const loaded = await context.trustList.load(args[0], operatorActor());
    console.log(`${loaded.domains} domains (+${loaded.added}, -${loaded.removed}), list generated ${loaded.generatedAt ?? '(no date in the file)'}`);
    for (const r of loaded.rejected) console.log(`  ignored "${r.value}": ${r.reason}`);
    return 0;
  }),
};

export const networkCommands: CliCommand[] = [list, route, loadTrustList];
