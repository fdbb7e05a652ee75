import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommand, peekTag } from './parser.js';
import { ImapSyntaxError, type Token } from './tokens.js';

const parse = (text: string | Buffer) => parseCommand(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));
const str = (value: string, literal = false): Token => ({ type: 'string', value: Buffer.from(value, 'utf8'), literal });
const atom = (value: string): Token => ({ type: 'atom', value });

test('a simple command: tag, upper-cased verb, astrings', () => {
  assert.deepEqual(parse('a1 login helene "correct \\"horse\\" \\\\ battery"\r\n'), {
    tag: 'a1', name: 'LOGIN', args: [atom('helene'), str('correct "horse" \\ battery')],
  });
  assert.deepEqual(parse('A2 NOOP\r\n'), { tag: 'A2', name: 'NOOP', args: [] });
});

test('UID commands are named with their sub-command', () => {
  const command = parse('7 uid fetch 1:* (FLAGS)\r\n');
  assert.equal(command.name, 'UID FETCH');
  assert.deepEqual(command.args, [atom('1:*'), { type: 'list', items: [atom('FLAGS')] }]);
});

test('synchronising and non-synchronising literals, with 8-bit and CRLF inside', () => {
  const body = 'Subject: été\r\n\r\nline\r\n';
  const size = Buffer.byteLength(body);
  const command = parse(Buffer.from(`a APPEND Sent (\\Seen) {${size}+}\r\n${body} {3}\r\nabc\r\n`, 'utf8'));
  assert.equal(command.name, 'APPEND');
  assert.deepEqual(command.args[0], atom('Sent'));
  assert.deepEqual(command.args[1], { type: 'list', items: [atom('\\Seen')] });
  assert.deepEqual(command.args[2], str(body, true));
  assert.deepEqual(command.args[3], str('abc', true));
});

test('nested lists and FETCH sections with partials', () => {
  const command = parse('f FETCH 1,3:5 (UID BODY.PEEK[HEADER.FIELDS (From "Subject")] BODY[1.2.MIME] BODY[]<0.2048>)\r\n');
  const list = command.args[1] as Extract<Token, { type: 'list' }>;
  assert.deepEqual(list.items[1], {
    type: 'atom', value: 'BODY.PEEK',
    section: [atom('HEADER.FIELDS'), { type: 'list', items: [atom('From'), str('Subject')] }],
  });
  assert.deepEqual(list.items[2], { type: 'atom', value: 'BODY', section: [atom('1.2.MIME')] });
  assert.deepEqual(list.items[3], { type: 'atom', value: 'BODY', section: [], partial: { start: 0, length: 2048 } });
});

test('brackets in other atoms are plain characters (e.g. a [Gmail] folder)', () => {
  assert.deepEqual(parse('s SELECT [Archives]/2026\r\n').args, [atom('[Archives]/2026')]);
});

test('bad input is a syntax error that keeps the tag when it could be read', () => {
  const cases: Array<[string, string | undefined, RegExp]> = [
    ['\r\n', undefined, /tag/],
    [' NOOP\r\n', undefined, /tag/],
    ['a1\r\n', 'a1', /Missing command/],
    ['a1 NO*OP\r\n', 'a1', /command name/],
    ['a2 LOGIN "unterminated\r\n', 'a2', /Unterminated quoted/],
    ['a3 LOGIN (a b\r\n', 'a3', /Unterminated list/],
    ['a4 LOGIN {5}\r\nab', 'a4', /Literal shorter/],
    ['a5 LOGIN {x}\r\n', 'a5', /literal/i],
    ['a6 FETCH 1 BODY[]<1.0>\r\n', 'a6', /Partial length/],
    ['a7 LOGIN a\u0001b c\r\n', 'a7', /Unexpected character|Expected a space/],
    ['a8 LOGIN "bad \\q escape"\r\n', 'a8', /escape/],
  ];
  for (const [input, tag, message] of cases) {
    assert.throws(() => parse(input), (error: unknown) => {
      assert.ok(error instanceof ImapSyntaxError, input);
      assert.equal(error.tag, tag, input);
      assert.match(error.message, message, input);
      return true;
    });
  }
});

test('peekTag reads the tag of a line the framer refuses', () => {
  assert.equal(peekTag(Buffer.from('x12 APPEND INBOX {99999999}\r\n')), 'x12');
  assert.equal(peekTag(Buffer.from('{5}\r\n')), undefined);
});
