import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { EventsService } from '../events/index.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { EventTail } from './event-tail.js';

// The console on 127.0.0.1:0; clients watch recorded events over /api/v1/events/watch.

let t: TestApp;
let viewer = '';

before(async () => {
  t = await startTestApp();
  viewer = await t.tokenFor('viewer');
});

after(async () => {
  await t?.close();
});

interface Watch {
  ws: WebSocket;
  records: { id: number; reason: string; objectId: string }[];
  frames: Record<string, unknown>[];
  closed: Promise<number>;
}

function watch(query: string, token = viewer): Promise<Watch> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/v1/events/watch${query}`, { headers: { authorization: `Bearer ${token}` } });
    const w: Watch = { ws, records: [], frames: [], closed: new Promise((r) => ws.once('close', (code) => r(code))) };
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Record<string, unknown>;
      w.frames.push(m);
      if (m['type'] === 'record') w.records.push(m['event'] as Watch['records'][number]);
    });
    ws.once('open', () => resolve(w));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body: JSON.parse(body) as unknown })));
    });
    ws.once('error', reject);
  });
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const record = (reason: string, objectId = 'w1') => t.app.get(EventsService).record({ type: 'Normal', reason, message: `${reason} happened`, objectKind: 'workload', objectId });

test('events watch: backlog after the given id, then events as they are recorded, filtered like the REST list; a reconnect with the last id repeats nothing', async () => {
  await record('Old1');
  await record('Old2');
  const listed = await t.call('GET', '/api/v1/events?limit=1', { token: viewer });
  const newest = (listed.body.items as { id: number }[])[0]!.id;
  const w = await watch(`?after=${newest - 1}&kind=workload`);
  const mine = await watch(`?after=${newest}&object=w2`);
  await until(() => w.records.length === 1, 'the backlog');
  assert.equal(w.records[0]!.reason, 'Old2');
  await record('New1');
  await record('New2', 'w2');
  await until(() => w.records.length === 3 && mine.records.length === 1, 'new events');
  assert.deepEqual(w.records.map((e) => e.reason), ['Old2', 'New1', 'New2']);
  assert.deepEqual(mine.records.map((e) => [e.reason, e.objectId]), [['New2', 'w2']]);
  assert.deepEqual(Object.keys(w.frames[0]!['event'] as object).sort(), ['createdAt', 'id', 'message', 'objectId', 'objectKind', 'reason', 'type']);

  // Drop, miss one event, resume from the last id seen.
  w.ws.terminate();
  mine.ws.close();
  await w.closed;
  await record('WhileAway');
  const again = await watch(`?after=${w.records.at(-1)!.id}&kind=workload`);
  await record('Back');
  await until(() => again.records.length === 2, 'the resumed stream');
  assert.deepEqual(again.records.map((e) => e.reason), ['WhileAway', 'Back']);
  again.ws.close();
  await again.closed;
  await until(() => t.app.get(EventTail).size === 0, 'the watchers to be released');
});

test('events watch: a bad query is refused before the upgrade with the field named; without credentials 401', async () => {
  await assert.rejects(watch('?after=-1'), { status: 400, body: { code: 'invalid_stream_request', message: 'failed to open stream: after: "-1" is not an integer from 0 to 9007199254740991', errors: [{ path: 'after', message: '"-1" is not an integer from 0 to 9007199254740991' }] } });
  await assert.rejects(watch('?type=Bad'), { status: 400, body: { code: 'invalid_stream_request', message: 'failed to open stream: type: "Bad" is not Normal or Warning', errors: [{ path: 'type', message: '"Bad" is not Normal or Warning' }] } });
  await assert.rejects(watch('?since=1'), { status: 400 });
  await assert.rejects(watch('', 'berth_forged'), { status: 401 });
});
