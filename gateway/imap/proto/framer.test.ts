import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandFramer, type FrameEvent } from './framer.js';

function drain(framer: CommandFramer): FrameEvent[] {
  const events: FrameEvent[] = [];
  for (let event = framer.next(); event; event = framer.next()) events.push(event);
  return events;
}

const text = (event: FrameEvent | undefined): string => (event?.kind === 'command' ? event.bytes.toString('utf8') : `<${event?.kind}>`);

test('lines arriving in pieces make one command each', () => {
  const framer = new CommandFramer({ maxLineLength: 100, maxLiteralSize: 100 });
  framer.push(Buffer.from('a1 NO'));
  assert.deepEqual(drain(framer), []);
  framer.push(Buffer.from('OP\r\na2 CAPABILITY\r\na3'));
  assert.deepEqual(drain(framer).map(text), ['a1 NOOP\r\n', 'a2 CAPABILITY\r\n']);
});

test('a synchronising literal asks for continuation, then the command completes with its bytes', () => {
  const framer = new CommandFramer({ maxLineLength: 100, maxLiteralSize: 100 });
  framer.push(Buffer.from('a APPEND INBOX {5}\r\n'));
  assert.deepEqual(drain(framer), [{ kind: 'continue', size: 5 }]);
  framer.push(Buffer.from('he'));
  assert.deepEqual(drain(framer), []);
  framer.push(Buffer.from('llo\r\n'));
  assert.deepEqual(drain(framer).map(text), ['a APPEND INBOX {5}\r\nhello\r\n']);
});

test('non-synchronising literals need no continuation; a literal may hold line ends', () => {
  const framer = new CommandFramer({ maxLineLength: 100, maxLiteralSize: 100 });
  framer.push(Buffer.from('a LOGIN {3+}\r\na\r\n {2+}\r\npw\r\n'));
  assert.deepEqual(drain(framer).map(text), ['a LOGIN {3+}\r\na\r\n {2+}\r\npw\r\n']);
});

test('an oversized synchronising literal is refused with its tag, and the stream goes on', () => {
  const framer = new CommandFramer({ maxLineLength: 100, maxLiteralSize: 10 });
  framer.push(Buffer.from('t1 APPEND INBOX {11}\r\nt2 NOOP\r\n'));
  assert.deepEqual(drain(framer).map((event) => (event.kind === 'command' ? text(event) : event)), [
    { kind: 'literal-too-large', tag: 't1', size: 11, synchronising: true },
    't2 NOOP\r\n',
  ]);
});

test('an oversized non-synchronising literal breaks the stream', () => {
  const framer = new CommandFramer({ maxLineLength: 100, maxLiteralSize: 10 });
  framer.push(Buffer.from('t1 APPEND INBOX {11+}\r\nhello world\r\n'));
  assert.deepEqual(drain(framer), [{ kind: 'literal-too-large', tag: 't1', size: 11, synchronising: false }]);
});

test('a line over the limit is reported even before its end arrives', () => {
  const framer = new CommandFramer({ maxLineLength: 10, maxLiteralSize: 10 });
  framer.push(Buffer.from('a1 LOGIN abcdefgh'));
  assert.deepEqual(drain(framer), [{ kind: 'line-too-long' }]);
});

test('raw lines for IDLE and SASL, and discarding buffered bytes for STARTTLS', () => {
  const framer = new CommandFramer({ maxLineLength: 10, maxLiteralSize: 10 });
  framer.push(Buffer.from('DONE\r\nxyz {5}\r\n'));
  assert.equal(framer.nextLine()?.toString(), 'DONE');
  assert.equal(framer.nextLine()?.toString(), 'xyz {5}');
  assert.equal(framer.nextLine(), null);
  framer.push(Buffer.from('a2 LOGIN injected\r\n'));
  assert.equal(framer.discard(), 19);
  assert.deepEqual(drain(framer), []);
});
