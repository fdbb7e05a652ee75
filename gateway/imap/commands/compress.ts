import { ArgReader } from '../proto/args.js';
import { AUTHENTICATED, bad, no, ok, type CommandSpec } from './types.js';

/**
 * RFC 4978 COMPRESS=DEFLATE: large listings (ENVELOPE, BODYSTRUCTURE, headers) shrink
 * several times over slow links (mobile clients). TLS compression is never used instead.
 */
export const compress: CommandSpec = {
  name: 'COMPRESS',
  states: AUTHENTICATED,
  notifications: 'none',
  async handler(context, command) {
    const args = new ArgReader(command.args, command.name);
    const mechanism = args.atom('mechanism').toUpperCase();
    args.end();
    if (mechanism !== 'DEFLATE') return bad(`Unknown compression mechanism ${mechanism.slice(0, 20)}`);
    if (context.compressed) return no('Compression is already active', { name: 'COMPRESSIONACTIVE' });
    context.compressAfterResponse();
    return ok('DEFLATE active');
  },
};
