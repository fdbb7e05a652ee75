import { ArgReader } from '../proto/args.js';
import { atom } from '../proto/compiler.js';
import { ANY_STATE, bad, ok, type CommandSpec } from './types.js';

/** RFC 2971. The client's parameters are only logged; the server names itself, without a version. */
export const id: CommandSpec = {
  name: 'ID',
  states: ANY_STATE,
  async handler(context, command) {
    const args = new ArgReader(command.args, command.name);
    const params = args.token('parameter list or NIL');
    args.end();
    if (params.type === 'list') {
      const pairs: string[] = [];
      for (const item of params.items.slice(0, 60)) pairs.push(item.type === 'list' ? '()' : item.type === 'atom' ? item.value : item.value.toString('utf8').slice(0, 100));
      context.logger.debug('client id', { session: context.id, id: pairs.join(' ') });
    } else if (!(params.type === 'atom' && params.value.toUpperCase() === 'NIL')) {
      return bad('ID expects a list or NIL');
    }
    await context.send([atom('ID'), ['name', 'Hygie', 'vendor', 'Hygie']]);
    return ok('ID completed');
  },
};
