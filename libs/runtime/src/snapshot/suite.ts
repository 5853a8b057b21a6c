/**
 * The shared Snapshotter test suite (containerd's snapshots/testsuite idea): every
 * implementation runs it from its own spec with a factory. Only the public interface is used,
 * plus writableDir() to put files into active snapshots.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import type { ApplyOptions } from '../image/unpack/index.js';
import { chunked, tarOf } from '../image/unpack/testing.js';
import type { Mount, Snapshotter } from './types.js';
import { chainIds, unpackImageLayers, writableDir } from './unpack.js';

export interface SuiteFixture {
  snapshotter: Snapshotter;
  /** Options for applyLayer in unpack tests (e.g. a syscall fake when not root). */
  applyOptions?: Omit<ApplyOptions, 'compression'>;
  cleanup(): Promise<void>;
}

function rejectsWith(category: string, re: RegExp) {
  return (e: unknown) => e instanceof BerthError && e.category === category && re.test(e.message);
}

function readOnly(mounts: Mount[]): boolean {
  const m = mounts[mounts.length - 1]!;
  return m.type === 'overlay' ? !m.options.some((o) => o.startsWith('upperdir=')) : m.options.includes('ro');
}

const TAR = 'application/vnd.oci.image.layer.v1.tar';

export function snapshotterSuite(name: string, factory: () => Promise<SuiteFixture>): void {
  const run = (title: string, fn: (f: SuiteFixture) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const f = await factory();
      try {
        await fn(f);
      } finally {
        await f.cleanup();
      }
    });

  run('prepare, commit and stat track kinds, parents and labels', async ({ snapshotter: s }) => {
    const m = await s.prepare('a-active', undefined, { labels: { x: '1' } });
    assert.equal(readOnly(m), false);
    assert.deepEqual(await s.mounts('a-active'), m);
    writeFileSync(join(writableDir(m), 'f'), 'a');
    await s.commit('a', 'a-active', { labels: { y: '2' } });
    await assert.rejects(s.stat('a-active'), rejectsWith('not_found', /"a-active": it does not exist/));
    const a = await s.stat('a');
    assert.deepEqual([a.kind, a.parent, a.labels], ['committed', undefined, { x: '1', y: '2' }]);
    await s.prepare('b-active', 'a');
    const b = await s.stat('b-active');
    assert.deepEqual([b.kind, b.parent], ['active', 'a']);
    assert.ok(!Number.isNaN(Date.parse(b.created)));
    assert.deepEqual((await s.list()).map((i) => `${i.name}:${i.kind}`), ['a:committed', 'b-active:active']);
  });

  run('keys are unique across kinds and parents must exist and be committed', async ({ snapshotter: s }) => {
    await s.prepare('k');
    await assert.rejects(s.prepare('k'), rejectsWith('already_exists', /"k": it already exists/));
    await assert.rejects(s.view('k'), rejectsWith('already_exists', /already exists/));
    await assert.rejects(s.prepare('c', 'missing'), rejectsWith('not_found', /parent "missing" does not exist/));
    await assert.rejects(s.prepare('c', 'k'), rejectsWith('failed_precondition', /parent "k" is active, not committed/));
    await s.prepare('k2');
    await s.commit('base', 'k2');
    await s.prepare('k3');
    await assert.rejects(s.commit('base', 'k3'), rejectsWith('already_exists', /"base" already exists/));
    assert.equal((await s.stat('k3')).kind, 'active');
    await assert.rejects(s.prepare(''), rejectsWith('invalid_argument', /must be 1-1024 characters/));
    await assert.rejects(s.mounts('base'), rejectsWith('failed_precondition', /is committed/));
  });

  run('views are read-only and cannot be committed', async ({ snapshotter: s }) => {
    await s.prepare('x');
    await s.commit('l1', 'x');
    assert.ok(readOnly(await s.view('v1', 'l1')));
    await s.prepare('y', 'l1');
    await s.commit('l2', 'y');
    assert.ok(readOnly(await s.view('v2', 'l2')));
    assert.ok(readOnly(await s.view('v0')));
    await assert.rejects(s.commit('nope', 'v2'), rejectsWith('failed_precondition', /"v2": it is view, not active/));
  });

  run('remove refuses parents with children and frees the key', async ({ snapshotter: s }) => {
    await s.prepare('x');
    await s.commit('base', 'x');
    await s.prepare('c1', 'base');
    await s.view('c2', 'base');
    await assert.rejects(s.remove('base'), rejectsWith('failed_precondition', /parent of "c1", "c2"/));
    await s.remove('c1');
    await s.remove('c2');
    await s.remove('base');
    await assert.rejects(s.remove('base'), rejectsWith('not_found', /does not exist/));
    assert.deepEqual(await s.list(), []);
    await s.prepare('base');
  });

  run('usage counts bytes and inodes of the snapshot itself, hard links once', async ({ snapshotter: s }) => {
    const dir = writableDir(await s.prepare('u'));
    const before = await s.usage('u');
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd/big'), Buffer.alloc(300_000, 1));
    linkSync(join(dir, 'd/big'), join(dir, 'hard'));
    const after = await s.usage('u');
    assert.equal(after.inodes - before.inodes, 2);
    assert.ok(after.size - before.size >= 300_000, `size grew by ${after.size - before.size}`);
    await s.commit('uc', 'u');
    assert.deepEqual(await s.usage('uc'), after);
    await s.prepare('child', 'uc');
    assert.deepEqual(await s.usage('child'), before, 'a child does not count its parent');
  });

  run('walk visits matching snapshots and concurrent prepares all succeed', async ({ snapshotter: s }) => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => s.prepare(`p${String(i).padStart(2, '0')}`)));
    const dirs = new Set<string>();
    for (let i = 0; i < 12; i++) dirs.add(writableDir(await s.mounts(`p${String(i).padStart(2, '0')}`)));
    assert.equal(dirs.size, 12);
    await s.commit('c', 'p00');
    const seen: string[] = [];
    await s.walk((i) => void seen.push(i.name), (i) => i.kind === 'committed');
    assert.deepEqual(seen, ['c']);
  });

  run('unpackImageLayers commits layers under chain ids, skips known ones and rejects a wrong diff id', async ({ snapshotter: s, applyOptions }) => {
    const tars = [await tarOf([{ name: 'a', text: '1' }]), await tarOf([{ name: 'b', text: '2' }]), await tarOf([{ name: 'c', text: '3' }])];
    const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    const blobs = new Map(tars.map((t) => [sha(t), t]));
    const layers = tars.map((t) => ({ digest: sha(t), mediaType: TAR }));
    const diffIds = tars.map(sha);
    const opened: string[] = [];
    const openLayer = (d: string) => (opened.push(d), chunked(blobs.get(d)!));
    const r1 = await unpackImageLayers({ layers, diffIds, openLayer, snapshotter: s, ...(applyOptions ? { applyOptions } : {}) });
    const chains = chainIds(diffIds);
    assert.equal(chains[0], diffIds[0]);
    assert.equal(chains[1], `sha256:${createHash('sha256').update(`${diffIds[0]} ${diffIds[1]}`).digest('hex')}`);
    assert.deepEqual([r1.chainId, r1.unpacked, r1.skipped], [chains[2], 3, 0]);
    assert.deepEqual((await s.stat(chains[2]!)).parent, chains[1]);
    assert.equal((await s.stat(chains[1]!)).labels['berth.io/diff-id'], diffIds[1]);
    const r2 = await unpackImageLayers({ layers, diffIds, openLayer, snapshotter: s, ...(applyOptions ? { applyOptions } : {}) });
    assert.deepEqual([r2.unpacked, r2.skipped, opened.length], [0, 3, 3]);
    const wrong = [diffIds[0]!, diffIds[1]!, sha(Buffer.from('other'))];
    await assert.rejects(
      unpackImageLayers({ layers, diffIds: wrong, openLayer, snapshotter: s, ...(applyOptions ? { applyOptions } : {}) }),
      (e: unknown) => e instanceof BerthError && e.code === 'layer_digest_mismatch' && e.message.includes(diffIds[2]!),
    );
    assert.deepEqual((await s.list()).filter((i) => i.kind !== 'committed'), [], 'no active snapshot left behind');
    await assert.rejects(unpackImageLayers({ layers: [{ digest: layers[0]!.digest, mediaType: 'text/plain' }], diffIds: [diffIds[0]!], openLayer, snapshotter: s }), /unsupported media type "text\/plain"/);
  });
}
