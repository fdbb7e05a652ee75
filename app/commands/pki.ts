/** `hygie pki …`: the development PKI. */
import path from 'node:path';
import { describeCertificate, ensureDevPki } from '../../certs/index.js';
import type { CliCommand } from './types.js';

const printCa: CliCommand = {
  words: ['pki', 'print-ca'],
  usage: '\n      print the development CA certificate (PEM; fingerprint on stderr)',
  run: async ({ config }) => {
    if (config.tls.certFile) {
      console.error('This operator uses a configured certificate (tls.certFile); its CA is not the development CA.');
      return 1;
    }
    const pki = await ensureDevPki({ dir: path.resolve(config.server.dataDir, 'pki'), hostnames: [...config.server.hostnames], organisation: config.operator.name });
    const ca = describeCertificate(pki.caCertPem);
    process.stdout.write(pki.caCertPem.endsWith('\n') ? pki.caCertPem : pki.caCertPem + '\n');
    console.error(`# ${ca.subject}\n# SHA-256 fingerprint: ${ca.sha256Fingerprint}\n# valid until ${ca.notAfter.toISOString()}\n# file: ${pki.caCertFile}`);
    return 0;
  },
};

export const pkiCommands: CliCommand[] = [printCa];
