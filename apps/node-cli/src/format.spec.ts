import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayCommand, humanSize, shortDigest, splitName, table, timeAgo } from './format.js';
import { bar, PullProgressView } from './progress.js';

const sizes: Array<[number, string]> = [[0, '0B'], [999, '999B'], [1000, '1kB'], [1234, '1.23kB'], [2_140_000, '2.14MB'], [5e9, '5GB']];
for (const [n, s] of sizes) test(`humanSize ${n}`, () => assert.equal(humanSize(n), s));

const now = Date.parse('2026-01-01T12:00:00Z');
const ages: Array<[string, string]> = [
  ['2026-01-01T11:59:57Z', '3 seconds ago'],
  ['2026-01-01T11:59:00Z', 'About a minute ago'],
  ['2026-01-01T11:45:00Z', '15 minutes ago'],
  ['2026-01-01T10:00:00Z', '2 hours ago'],
  ['2025-12-25T12:00:00Z', '7 days ago'],
];
for (const [iso, s] of ages) test(`timeAgo ${iso}`, () => assert.equal(timeAgo(iso, now), s));
test('timeAgo of nothing or junk', () => {
  assert.equal(timeAgo(undefined), 'N/A');
  assert.equal(timeAgo('yesterday'), 'N/A');
});

const names: Array<[string, string, string]> = [
  ['127.0.0.1:5000/test/busybox:1', '127.0.0.1:5000/test/busybox', '1'],
  ['docker.io/library/busybox:latest', 'docker.io/library/busybox', 'latest'],
  ['127.0.0.1:5000/x@sha256:abc', '127.0.0.1:5000/x', '<none>'],
  ['localhost:5000/x', 'localhost:5000/x', '<none>'],
];
for (const [n, r, t] of names) test(`splitName ${n}`, () => assert.deepEqual(splitName(n), { repository: r, tag: t }));

test('table pads columns and trims line ends', () => {
  assert.equal(table(['A', 'BB'], [['xyz', '1'], ['q', '']]), 'A     BB\nxyz   1\nq\n');
});

test('shortDigest and displayCommand', () => {
  assert.equal(shortDigest('sha256:0123456789abcdef'), '0123456789ab');
  assert.equal(displayCommand(['sh', '-c', 'echo hi']), `"sh -c 'echo hi'"`);
  assert.equal(displayCommand(['busybox', 'sleep', '100000000000'], 20), '"busybox sleep 100…"');
});

test('bar fills in proportion', () => {
  assert.equal(bar(0, 10, 10), '[>         ]');
  assert.equal(bar(5, 10, 10), '[=====>    ]');
  assert.equal(bar(10, 10, 10), '[==========]');
});

test('progress without a TTY prints one line per status change', () => {
  let out = '';
  const v = new PullProgressView({ write: (t) => (out += t) }, false);
  const layer = 'sha256:aaaaaaaaaaaabbbb';
  v.update({ layer, downloaded: 0, total: 2000, status: 'waiting' });
  v.update({ layer, downloaded: 100, total: 2000, status: 'downloading' });
  v.update({ layer, downloaded: 900, total: 2000, status: 'downloading' });
  v.update({ layer, downloaded: 2000, total: 2000, status: 'done' });
  v.update({ layer: 'sha256:cccccccccccc', downloaded: 5, total: 5, status: 'exists' });
  v.finish();
  assert.equal(out, 'aaaaaaaaaaaa: Waiting\naaaaaaaaaaaa: Downloading\naaaaaaaaaaaa: Download complete 2kB\ncccccccccccc: Already exists 5B\n');
});

test('progress on a TTY redraws every layer in place', () => {
  let out = '';
  let t = 0;
  const v = new PullProgressView({ write: (s) => (out += s) }, true, () => t);
  v.update({ layer: 'sha256:aaaaaaaaaaaa', downloaded: 0, total: 100, status: 'waiting' });
  v.update({ layer: 'sha256:bbbbbbbbbbbb', downloaded: 0, total: 100, status: 'waiting' });
  t = 500;
  v.update({ layer: 'sha256:aaaaaaaaaaaa', downloaded: 50, total: 100, status: 'downloading' });
  const last = out.slice(out.lastIndexOf('\x1b[2A'));
  assert.ok(last.startsWith('\x1b[2A'), 'cursor moved up over the 2 drawn lines');
  assert.match(last, /aaaaaaaaaaaa: Downloading \[=+>\s*\] 50B\/100B\n/);
  assert.match(last, /bbbbbbbbbbbb: Waiting\n$/);
});
