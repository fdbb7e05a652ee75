/**
 * LOGIN and AUTHENTICATE PLAIN (with SASL-IR). Both are refused before TLS, as advertised
 * by LOGINDISABLED, so that a password never crosses the network in clear.
 */
import { ERRORS, isHygieError } from '../../../core/errors.js';
import { ArgReader } from '../proto/args.js';
import { atom } from '../proto/compiler.js';
import { bad, no, NOT_AUTHENTICATED, ok, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

const PRIVACY_REQUIRED = no('Plaintext authentication is disallowed without TLS: issue STARTTLS first', { name: 'PRIVACYREQUIRED' });

export const login: CommandSpec = {
  name: 'LOGIN',
  states: NOT_AUTHENTICATED,
  async handler(context, command) {
    if (!context.secure) return PRIVACY_REQUIRED;
    const args = new ArgReader(command.args, command.name);
    const user = args.astring('user name');
    const password = args.astring('password');
    args.end();
    return signIn(context, user, password);
  },
};

export const authenticate: CommandSpec = {
  name: 'AUTHENTICATE',
  states: NOT_AUTHENTICATED,
  async handler(context, command) {
    const args = new ArgReader(command.args, command.name);
    const mechanism = args.atom('mechanism').toUpperCase();
    const initial = args.remaining > 0 ? args.astring('initial response') : undefined;
    args.end();
    if (!context.secure) return PRIVACY_REQUIRED;
    if (mechanism !== 'PLAIN') return no(`Unsupported authentication mechanism ${mechanism.slice(0, 20)}`, { name: 'CANNOT' });

    let response: string;
    if (initial !== undefined) {
      response = initial === '=' ? '' : initial;
    } else {
      await context.continuation('');
      const line = await context.readLine();
      if (line === null) return bad('Connection closed during authentication');
      response = line.toString('latin1').trim();
      if (response === '*') return bad('Authentication cancelled');
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(response) || response.length % 4 !== 0) return bad('Invalid base64 in SASL response');
    const fields = Buffer.from(response, 'base64').toString('utf8').split('\0');
    if (fields.length !== 3) return bad('Invalid SASL PLAIN response');
    const [authorizationId, user, password] = fields as [string, string, string];
    // No proxy authentication: one may only act as oneself.
    if (authorizationId !== '' && authorizationId.toLowerCase() !== user.toLowerCase()) {
      return no('Acting as another user is not permitted', { name: 'AUTHORIZATIONFAILED' });
    }
    return signIn(context, user, password);
  },
};

async function signIn(context: CommandContext, login: string, password: string): Promise<CommandResult> {
  try {
    const user = await context.authenticator.authenticate(login, password, { channel: 'imap', remoteAddress: context.remoteAddress });
    context.authenticated(user);
    context.logger.info('login', { session: context.id, mailbox: user.mailboxId, login: user.login });
    return ok('Logged in', { name: 'CAPABILITY', args: context.capabilities().map(atom) });
  } catch (error) {
    if (isHygieError(error, 'AUTH_FAILED')) return no(ERRORS.AUTH_FAILED.text, { name: 'AUTHENTICATIONFAILED' });
    if (isHygieError(error, 'AUTH_RATE_LIMITED')) return no(ERRORS.AUTH_RATE_LIMITED.text, { name: 'UNAVAILABLE' });
    context.logger.error('authentication backend failed', { session: context.id, error });
    return no('Authentication temporarily unavailable', { name: 'UNAVAILABLE' });
  }
}
