import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsoleFrame } from '@berth/proto';
import { SessionRelay } from './session-relay.js';

class Sink {
  readonly frames: ConsoleFrame[] = [];
  write(f: ConsoleFrame): boolean {
    this.frames.push(f);
    return true;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('session relay: exec frames go both ways and end at exit', async () => {
  const relay = new SessionRelay();
  const sink = new Sink();
  relay.agentConnected('n1', sink);
  const s = relay.open('n1', { $case: 'execStart', value: { assignmentId: 'a', command: ['sh'], tty: true, stdin: true, env: [], workingDir: '', columns: 80, rows: 24 } });
  s.send({ $case: 'execInput', value: { data: Buffer.from('ls\n'), eof: false } });
  assert.deepEqual(sink.frames.map((f) => [f.sessionId === s.id, f.frame?.$case]), [[true, 'execStart'], [true, 'execInput']]);
  relay.fromAgent('n1', { sessionId: s.id, frame: { $case: 'execOutput', value: { stream: 'stdout', data: Buffer.from('bin\n') } } });
  relay.fromAgent('n1', { sessionId: s.id, frame: { $case: 'execExit', value: { exitCode: 3 } } });
  relay.fromAgent('n1', { sessionId: s.id, frame: { $case: 'execOutput', value: { stream: 'stdout', data: Buffer.from('late') } } });
  const got = await collect(s.frames);
  assert.deepEqual(got.map((f) => f.$case), ['execOutput', 'execExit']);
  assert.throws(() => s.send({ $case: 'execResize', value: { columns: 1, rows: 1 } }), /it has ended/);
});

test('session relay: an agent error ends the session with its message', async () => {
  const relay = new SessionRelay();
  relay.agentConnected('n1', new Sink());
  const s = relay.open('n1', { $case: 'logs', value: { assignmentId: 'gone', follow: true, tailLines: 0, sinceUnixMs: 0, timestamps: false } });
  relay.fromAgent('n1', { sessionId: s.id, frame: { $case: 'error', value: { code: 'not_found', message: 'failed to read logs of gone: no such container' } } });
  await assert.rejects(collect(s.frames), /failed to read logs of gone: no such container/);
});

test('session relay: sessions end when the agent disconnects, but not when an old stream closes', async () => {
  const relay = new SessionRelay();
  const old = new Sink();
  const cur = new Sink();
  relay.agentConnected('n1', old);
  const s1 = relay.open('n1', { $case: 'stats', value: { assignmentId: 'a', intervalMs: 0, stream: true } });
  relay.agentConnected('n1', cur);
  await assert.rejects(collect(s1.frames), /node "n1" disconnected/);
  const s2 = relay.open('n1', { $case: 'stats', value: { assignmentId: 'a', intervalMs: 0, stream: true } });
  relay.agentGone('n1', old);
  assert.deepEqual(relay.connected(), ['n1']);
  relay.agentGone('n1', cur);
  await assert.rejects(collect(s2.frames), /disconnected/);
  assert.deepEqual(relay.connected(), []);
});

test('session relay: the first frame must start something', () => {
  const relay = new SessionRelay();
  relay.agentConnected('n1', new Sink());
  assert.throws(() => relay.open('n1', { $case: 'execInput', value: { data: Buffer.alloc(0), eof: true } }), /first frame must be logs, stats or execStart, not execInput/);
});

test('session relay: cancel asks the agent to stop', () => {
  const relay = new SessionRelay();
  const sink = new Sink();
  relay.agentConnected('n1', sink);
  const s = relay.open('n1', { $case: 'logs', value: { assignmentId: 'a', follow: true, tailLines: 0, sinceUnixMs: 0, timestamps: false } });
  s.cancel();
  assert.equal(sink.frames[1]?.frame?.$case, 'cancel');
  assert.equal(sink.frames[1]?.sessionId, s.id);
});
