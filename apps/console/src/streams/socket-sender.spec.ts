import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleError } from '../common/errors.js';
import { SLOW_CONSUMER_CLOSE, SocketSender, type StreamSocket } from './socket-sender.js';

class FakeSocket implements StreamSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  closes: [number | undefined, string | undefined][] = [];
  send(data: string): void {
    this.sent.push(data);
    this.bufferedAmount += data.length;
  }
  close(code?: number, reason?: string): void {
    this.closes.push([code, reason]);
    this.readyState = 2;
  }
}

test('SocketSender: sends while the unsent bytes stay under the limit, then closes the slow consumer with 4429 and a reason', () => {
  const ws = new FakeSocket();
  const stopped: string[] = [];
  const s = new SocketSender(ws, 50, (r) => stopped.push(r));
  assert.equal(s.send({ type: 'end' }), true);
  assert.equal(s.send({ type: 'log', stream: 'stdout', time: 't', line: 'x'.repeat(60) }), true);
  assert.equal(ws.bufferedAmount > 50, true);
  assert.equal(s.send({ type: 'end' }), false);
  assert.equal(ws.sent.length, 2);
  assert.deepEqual(ws.closes, [[SLOW_CONSUMER_CLOSE, `slow_consumer: ${ws.bufferedAmount} bytes unsent`]]);
  assert.deepEqual(stopped, [`slow_consumer: ${ws.bufferedAmount} bytes unsent`]);
  assert.equal(s.send({ type: 'end' }), false, 'nothing after close');
});

test('SocketSender: a client that drains keeps receiving', () => {
  const ws = new FakeSocket();
  const s = new SocketSender(ws, 50, () => undefined);
  for (let i = 0; i < 100; i++) {
    assert.equal(s.send({ type: 'output', stream: 'stdout', data: 'aGVsbG8=' }), true);
    ws.bufferedAmount = 0;
  }
  assert.equal(ws.closes.length, 0);
});

test('SocketSender: fail sends the error frame and closes with 4000 + HTTP status; unknown errors become internal/4500', () => {
  const ws = new FakeSocket();
  let stops = 0;
  const s = new SocketSender(ws, 1 << 20, () => stops++);
  s.fail(new ConsoleError('agent_not_connected', 'unavailable', 'failed to open session on node "n": the agent is not connected'));
  assert.deepEqual(JSON.parse(ws.sent[0]!), { type: 'error', code: 'agent_not_connected', message: 'failed to open session on node "n": the agent is not connected' });
  assert.deepEqual(ws.closes, [[4503, 'agent_not_connected']]);
  s.close();
  assert.equal(stops, 1, 'onClose runs once');

  const ws2 = new FakeSocket();
  new SocketSender(ws2, 1 << 20, () => undefined).fail(new Error('boom'));
  assert.deepEqual(JSON.parse(ws2.sent[0]!), { type: 'error', code: 'internal', message: 'failed to handle stream: internal error' });
  assert.deepEqual(ws2.closes, [[4500, 'internal']]);
});
