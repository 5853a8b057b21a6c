import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { matchesLabels, parseLabelSelector } from './labels.js';
import { decodeCursor, encodeCursor, filteredPage } from './pagination.js';
import { expectedRevision } from './revision.js';
import { fieldErrors, formatPath } from './validation.js';
import type { ConsoleError } from './errors.js';

test('formatPath/fieldErrors: dotted paths with indices; every unknown key named at its own path', () => {
  assert.equal(formatPath(['spec', 'containers', 0, 'image']), 'spec.containers[0].image');
  const s = z.strictObject({ spec: z.strictObject({ ports: z.array(z.strictObject({ port: z.number() })) }) });
  const r = s.safeParse({ spec: { ports: [{ port: 'x', extra: 1 }], more: true } });
  assert.equal(r.success, false);
  const errs = fieldErrors(r.error!).map((e) => e.path).sort();
  assert.deepEqual(errs, ['spec.more', 'spec.ports[0].extra', 'spec.ports[0].port']);
});

test('label selectors: equality, inequality, existence, absence; bad keys are refused', () => {
  const labels = { app: 'web', tier: 'front' };
  assert.equal(matchesLabels(labels, parseLabelSelector('app=web,tier!=db')), true);
  assert.equal(matchesLabels(labels, parseLabelSelector('app==web,canary')), false);
  assert.equal(matchesLabels(labels, parseLabelSelector('!canary, app')), true);
  assert.equal(matchesLabels({}, parseLabelSelector('tier!=db')), true);
  assert.throws(() => parseLabelSelector('bad key=1'), (e: ConsoleError) => e.code === 'invalid_label_selector');
});

test('cursors round-trip and foreign ones are refused; filteredPage pages across batches', async () => {
  assert.equal(decodeCursor(encodeCursor('w7')), 'w7');
  assert.throws(() => decodeCursor('!!'), (e: ConsoleError) => e.code === 'invalid_cursor');
  const rows = Array.from({ length: 250 }, (_, i) => `k${String(i).padStart(3, '0')}`);
  const fetch = async (after: string | undefined, n: number) => rows.filter((r) => after === undefined || r > after).slice(0, n);
  const even = (r: string) => Number(r.slice(1)) % 2 === 0;
  const p1 = await filteredPage(fetch, even, (r) => r, { limit: 100 });
  assert.equal(p1.items.length, 100);
  assert.equal(p1.items[99], 'k198');
  const p2 = await filteredPage(fetch, even, (r) => r, { limit: 100, after: decodeCursor(p1.nextCursor!) });
  assert.deepEqual([p2.items.length, p2.items[0], p2.nextCursor], [25, 'k200', undefined]);
});

test('expectedRevision: If-Match forms, body revision, disagreement and absence', () => {
  assert.equal(expectedRevision('"42"', undefined, 'workload', 'w'), 42);
  assert.equal(expectedRevision('W/"42"', 42, 'workload', 'w'), 42);
  assert.equal(expectedRevision(undefined, 7, 'workload', 'w'), 7);
  assert.throws(() => expectedRevision('"1"', 2, 'workload', 'w'), (e: ConsoleError) => e.code === 'revision_mismatch');
  assert.throws(() => expectedRevision('abc', undefined, 'workload', 'w'), (e: ConsoleError) => e.code === 'invalid_if_match');
  assert.throws(() => expectedRevision(undefined, undefined, 'workload', 'w'), (e: ConsoleError) => e.code === 'revision_required');
});
