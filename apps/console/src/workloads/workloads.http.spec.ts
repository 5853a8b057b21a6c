import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../testing/test-app.js';

const spec = (image = 'registry.local/web:1') => ({ image, resources: { requests: { cpu: 100, memory: 64 * 1024 * 1024 }, limits: { cpu: 500, memory: 128 * 1024 * 1024 } } });

async function withApp(fn: (t: TestApp, operator: string) => Promise<void>): Promise<void> {
  const t = await startTestApp();
  try {
    await fn(t, await t.tokenFor('operator'));
  } finally {
    await t.close();
  }
}

test('workloads(rest): bad input is refused with 400 naming every field, and nothing is stored', async () => {
  await withApp(async (t, op) => {
    const bad = await t.call('POST', '/api/v1/workloads', {
      token: op,
      body: {
        name: 'Web_1',
        replicas: -1,
        colour: 'blue',
        spec: {
          image: '',
          resources: { requests: { cpu: -5, memory: 256 * 1024 * 1024 }, limits: { memory: 128 * 1024 * 1024 } },
          ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 8080 }],
          livenessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } },
          extra: 1,
        },
      },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'validation_failed');
    const paths = (bad.body.errors as { path: string }[]).map((e) => e.path).sort();
    for (const p of ['name', 'replicas', 'colour', 'spec.image', 'spec.resources.requests.cpu', 'spec.extra', 'spec.livenessProbe']) {
      assert.ok(paths.includes(p), `expected an error at ${p}, got ${paths.join(', ')}`);
    }
    // Refinements run once the shape is valid: limits below requests, duplicate host ports.
    const impossible = await t.call('POST', '/api/v1/workloads', {
      token: op,
      body: { name: 'web', spec: { image: 'web:1', resources: { requests: { memory: 256 * 1024 * 1024 }, limits: { memory: 128 * 1024 * 1024 } }, ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 8080 }] } },
    });
    assert.equal(impossible.status, 400);
    const ipaths = (impossible.body.errors as { path: string }[]).map((e) => e.path);
    assert.ok(ipaths.includes('spec.resources.limits.memory'), ipaths.join(','));
    assert.ok(ipaths.includes('spec.ports[1].hostPort'), ipaths.join(','));

    const malformed = await t.call('POST', '/api/v1/workloads', { token: op, raw: '{"name": "web", ' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'malformed_json');
    const list = await t.call('GET', '/api/v1/workloads', { token: op });
    assert.deepEqual(list.body.items, []);
  });
});

test('workloads(rest): create, duplicate name 409, update with If-Match, stale revision 409 stores nothing', async () => {
  await withApp(async (t, op) => {
    const created = await t.call('POST', '/api/v1/workloads', { token: op, body: { name: 'web', replicas: 2, spec: spec() } });
    assert.equal(created.status, 201);
    assert.equal(created.body.currentRevision, 1);
    assert.equal(created.body.spec.restartPolicy.mode, 'Always');
    assert.equal(created.headers.get('etag'), `"${created.body.revision}"`);
    const dup = await t.call('POST', '/api/v1/workloads', { token: op, body: { name: 'web', spec: spec() } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 'workload_exists');

    const noRev = await t.call('PUT', '/api/v1/workloads/web', { token: op, body: { spec: spec('web:2') } });
    assert.equal(noRev.status, 400);
    assert.equal(noRev.body.code, 'revision_required');

    const v2 = await t.call('PUT', '/api/v1/workloads/web', { token: op, body: { spec: spec('web:2') }, headers: { 'if-match': created.headers.get('etag')! } });
    assert.equal(v2.status, 200);
    assert.equal(v2.body.currentRevision, 2);
    assert.ok(v2.body.revision > created.body.revision);

    // A second editor still holding the first revision loses, and nothing of theirs is stored.
    const stale = await t.call('PUT', '/api/v1/workloads/web', { token: op, body: { revision: created.body.revision, spec: spec('web:evil'), replicas: 9 } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.code, 'revision_conflict');
    const now = await t.call('GET', '/api/v1/workloads/web', { token: op });
    assert.equal(now.body.spec.image, 'web:2');
    assert.equal(now.body.replicas, 2);
    assert.equal(now.body.revision, v2.body.revision);
    const revs = await t.call('GET', '/api/v1/workloads/web/revisions', { token: op });
    assert.deepEqual(revs.body.items.map((r: { number: number }) => r.number), [2, 1]);
  });
});

test('workloads(rest): scale keeps the revision history, rollback appends a copy, viewer cannot mutate', async () => {
  await withApp(async (t, op) => {
    const viewer = await t.tokenFor('viewer');
    await t.call('POST', '/api/v1/workloads', { token: op, body: { name: 'api', spec: spec('api:1') } });
    const w = await t.call('GET', '/api/v1/workloads/api', { token: op });
    await t.call('PUT', '/api/v1/workloads/api', { token: op, body: { revision: w.body.revision, spec: spec('api:2') } });
    const scaled = await t.call('POST', '/api/v1/workloads/api/scale', { token: op, body: { replicas: 5 } });
    assert.equal(scaled.status, 200);
    assert.equal(scaled.body.replicas, 5);
    assert.equal(scaled.body.currentRevision, 2);
    const rb = await t.call('POST', '/api/v1/workloads/api/rollback', { token: op, body: { toRevision: 1 } });
    assert.equal(rb.status, 200);
    assert.equal(rb.body.currentRevision, 3);
    assert.equal(rb.body.spec.image, 'api:1');
    const missing = await t.call('POST', '/api/v1/workloads/api/rollback', { token: op, body: { toRevision: 42 } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'workload_revision_not_found');

    assert.equal((await t.call('GET', '/api/v1/workloads/api', { token: viewer })).status, 200);
    const denied = await t.call('POST', '/api/v1/workloads/api/scale', { token: viewer, body: { replicas: 0 } });
    assert.equal(denied.status, 403);
    assert.equal((await t.call('DELETE', '/api/v1/workloads/api', { token: viewer })).status, 403);
    assert.equal((await t.call('DELETE', '/api/v1/workloads/api', { token: op })).status, 204);
    assert.equal((await t.call('GET', '/api/v1/workloads/api', { token: op })).status, 404);
  });
});

test('workloads(rest): pagination with a cursor and label selector filtering', async () => {
  await withApp(async (t, op) => {
    for (let i = 0; i < 7; i++) {
      const r = await t.call('POST', '/api/v1/workloads', { token: op, body: { name: `w${i}`, labels: { tier: i % 2 ? 'odd' : 'even' }, spec: spec() } });
      assert.equal(r.status, 201);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const r = await t.call('GET', `/api/v1/workloads?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token: op });
      assert.ok(r.body.items.length <= 3);
      seen.push(...r.body.items.map((w: { name: string }) => w.name));
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, ['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6']);
    const odd = await t.call('GET', '/api/v1/workloads?labelSelector=tier%3Dodd&limit=2', { token: op });
    assert.deepEqual(odd.body.items.map((w: { name: string }) => w.name), ['w1', 'w3']);
    const next = await t.call('GET', `/api/v1/workloads?labelSelector=tier%3Dodd&limit=2&cursor=${odd.body.nextCursor}`, { token: op });
    assert.deepEqual(next.body.items.map((w: { name: string }) => w.name), ['w5']);
    assert.equal(next.body.nextCursor, undefined);
    const badCursor = await t.call('GET', '/api/v1/workloads?cursor=%%%', { token: op });
    assert.equal(badCursor.status, 400);
  });
});

for (const backend of ['pglite', 'postgres'] as const) {
  const skip = backend === 'postgres' && !process.env['BERTH_TEST_DATABASE_URL'] ? 'BERTH_TEST_DATABASE_URL is unset (run scripts/start-postgres.sh)' : false;
  test(`workloads(rest, ${backend}): two editors racing with the same revision: exactly one wins, one revision is written`, { skip }, async () => {
    const t = await startTestApp(backend);
    try {
      const op = await t.tokenFor('operator');
      const w = await t.call('POST', '/api/v1/workloads', { token: op, body: { name: 'race', spec: spec('race:1') } });
      const results = await Promise.all(
        ['race:a', 'race:b', 'race:c'].map((image) => t.call('PUT', '/api/v1/workloads/race', { token: op, body: { revision: w.body.revision, spec: spec(image) } })),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409]);
      assert.deepEqual(results.filter((r) => r.status === 409).map((r) => r.body.code), ["revision_conflict", "revision_conflict"]);
      const winner = results.find((r) => r.status === 200)!;
      const revs = await t.call('GET', '/api/v1/workloads/race/revisions', { token: op });
      assert.deepEqual(revs.body.items.map((r: { number: number; spec: { image: string } }) => [r.number, r.spec.image]), [[2, winner.body.spec.image], [1, 'race:1']]);
      const dup = await t.call('POST', '/api/v1/workloads', { token: op, body: { name: 'race', spec: spec() } });
      assert.equal(dup.status, 409);
    } finally {
      await t.close();
    }
  });
}
