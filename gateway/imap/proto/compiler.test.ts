import assert from 'node:assert/strict';
import { test } from 'node:test';
import { atom, compileContinuation, compileStatus, compileUntagged } from './compiler.js';

test('strings are quoted when 7-bit and literals otherwise; NIL, numbers, lists, atoms', () => {
  const out = compileUntagged([1, atom('FETCH'), [atom('FLAGS'), [atom('\\Seen')], atom('X'), 'a "q" \\', null, 'été', Buffer.from('raw')]]);
  assert.equal(out.toString('utf8'), '* 1 FETCH (FLAGS (\\Seen) X "a \\"q\\" \\\\" NIL {5}\r\nété {3}\r\nraw)\r\n');
});

test('status responses with codes; text kept on one line', () => {
  assert.equal(compileStatus('a1', 'OK', 'done', { name: 'PERMANENTFLAGS', args: [[atom('\\Seen'), atom('\\*')]] }).toString(),
    'a1 OK [PERMANENTFLAGS (\\Seen \\*)] done\r\n');
  assert.equal(compileStatus('*', 'BYE', 'line one\r\nline two').toString(), '* BYE line one line two\r\n');
  assert.equal(compileContinuation('').toString(), '+ \r\n');
});
