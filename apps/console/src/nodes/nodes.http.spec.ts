import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FleetEvents, type FleetEvent } from '../fleet/fleet-events.js';
import { insertNode } from '../testing/fixtures.js';
import { startTestApp } from '../testing/test-app.js';

test('nodes(rest): list with selectors, label with If-Match, cordon/drain/uncordon, delete; events published', async () => {
  const t = await startTestApp();
  try {
    const op = await t.tokenFor('operator');
    const viewer = await t.tokenFor('viewer');
    const events: FleetEvent[] = [];
    t.app.get(FleetEvents).subscribe((e) => events.push(e));
    await insertNode(t, 'n1', { zone: 'a' });
    await insertNode(t, 'n2', { zone: 'b', gpu: 'yes' });
    await insertNode(t, 'n3', { zone: 'a' }, 'NotReady');

    const zoneA = await t.call('GET', '/api/v1/nodes?labelSelector=zone%3Da', { token: viewer });
    assert.deepEqual(zoneA.body.items.map((n: { name: string }) => n.name), ['n1', 'n3']);
    const ready = await t.call('GET', '/api/v1/nodes?status=Ready&labelSelector=!gpu', { token: viewer });
    assert.deepEqual(ready.body.items.map((n: { name: string }) => n.name), ['n1']);
    const badStatus = await t.call('GET', '/api/v1/nodes?status=Sleeping', { token: viewer });
    assert.equal(badStatus.status, 400);
    assert.equal(badStatus.body.errors[0].path, 'status');

    const n1 = await t.call('GET', '/api/v1/nodes/n1', { token: viewer });
    const etag = n1.headers.get('etag')!;
    assert.equal((await t.call('PATCH', '/api/v1/nodes/n1', { token: viewer, body: { labels: { zone: 'c' } }, headers: { 'if-match': etag } })).status, 403);
    const labelled = await t.call('PATCH', '/api/v1/nodes/n1', { token: op, body: { labels: { zone: 'c' } }, headers: { 'if-match': etag } });
    assert.equal(labelled.status, 200);
    assert.deepEqual(labelled.body.labels, { zone: 'c' });
    const stale = await t.call('PATCH', '/api/v1/nodes/n1', { token: op, body: { labels: { zone: 'd' } }, headers: { 'if-match': etag } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.code, 'revision_conflict');
    const badLabel = await t.call('PATCH', '/api/v1/nodes/n1', { token: op, body: { labels: { 'bad key!': 'x' }, revision: labelled.body.revision } });
    assert.equal(badLabel.status, 400);

    const cordoned = await t.call('POST', '/api/v1/nodes/n2/cordon', { token: op });
    assert.equal(cordoned.body.unschedulable, true);
    const drained = await t.call('POST', '/api/v1/nodes/n2/drain', { token: op, body: {} });
    assert.equal(drained.body.draining, true);
    const back = await t.call('POST', '/api/v1/nodes/n2/uncordon', { token: op });
    assert.deepEqual([back.body.unschedulable, back.body.draining], [false, false]);
    assert.ok(events.filter((e) => e.kind === 'node').length >= 4);

    assert.equal((await t.call('DELETE', '/api/v1/nodes/n3', { token: op })).status, 204);
    const gone = await t.call('GET', '/api/v1/nodes/n3', { token: op });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'node_not_found');
  } finally {
    await t.close();
  }
});

test('nodes(rest): revoke is admin-only, keeps the node listed NotReady with revokedAt, is audited, 404 unknown, 409 twice', async () => {
  const t = await startTestApp();
  try {
    const op = await t.tokenFor('operator');
    const viewer = await t.tokenFor('viewer');
    const events: FleetEvent[] = [];
    t.app.get(FleetEvents).subscribe((e) => events.push(e));
    const { id } = await insertNode(t, 'n1', { zone: 'a' });
    await insertNode(t, 'n2');

    for (const token of [op, viewer]) {
      const denied = await t.call('POST', '/api/v1/nodes/n1/revoke', { token });
      assert.equal(denied.status, 403);
      assert.equal(denied.body.code, 'permission_denied');
    }
    assert.equal((await t.call('GET', '/api/v1/nodes/n1', { token: viewer })).body.revokedAt, null);

    const revoked = await t.call('POST', '/api/v1/nodes/n1/revoke', { token: t.adminToken });
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.name, 'n1');
    assert.equal(revoked.body.status, 'NotReady');
    assert.ok(Date.parse(revoked.body.revokedAt) > 0);
    assert.deepEqual(events.filter((e) => e.id === id), [{ kind: 'node', id, revision: revoked.body.revision, revoked: true }]);

    const listed = await t.call('GET', '/api/v1/nodes', { token: viewer });
    assert.deepEqual(listed.body.items.map((n: { name: string; status: string; revokedAt: string | null }) => [n.name, n.status, n.revokedAt]), [
      ['n1', 'NotReady', revoked.body.revokedAt],
      ['n2', 'Ready', null],
    ]);

    const again = await t.call('POST', '/api/v1/nodes/n1/revoke', { token: t.adminToken });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'node_already_revoked');
    assert.match(again.body.message, /node n1 is already revoked/);
    assert.equal((await t.call('GET', '/api/v1/nodes/n1', { token: viewer })).body.revokedAt, revoked.body.revokedAt, 'a second call does not move revokedAt');

    const unknown = await t.call('POST', '/api/v1/nodes/nope/revoke', { token: t.adminToken });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'node_not_found');

    const doc = await t.call('GET', '/api/openapi.json');
    assert.equal(doc.status, 200);
    const revokeOp = doc.body.paths['/api/v1/nodes/{name}/revoke']?.post;
    assert.ok(revokeOp, 'the revoke route is documented');
    assert.ok(revokeOp.responses['200'].content['application/json'].schema.properties.revokedAt);
    assert.ok(doc.body.paths['/api/v1/nodes']?.get.responses['200'].content['application/json'].schema.properties.items.items.properties.revokedAt);

    const audit = await t.call('GET', '/api/v1/audit?action=node.revoke', { token: t.adminToken });
    assert.deepEqual(
      audit.body.items.map((r: { objectKind: string; objectId: string; actorName: string; details: { outcome: string } }) => [r.objectKind, r.objectId, r.actorName, r.details.outcome]).sort(),
      [['node', 'n1', 'admin', 'node_already_revoked'], ['node', 'n1', 'admin', 'ok'], ['node', 'nope', 'admin', 'node_not_found']],
    );
  } finally {
    await t.close();
  }
});
