import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ContentStore, type BlobSource } from './content-store.js';
import { digestOf } from './digest.js';
import { ImageError } from './errors.js';
import { acquireLock, tryLock } from './lockfile.js';

async function withStore(fn: (s: ContentStore, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'berth-cs-'));
  try {
    const s = new ContentStore(root);
    await s.init();
    await fn(s, root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const deadPid = (): number => spawnSync('true').pid as number;

test('ContentStore put stores under blobs/sha256/<hex> and get/readBlob/info/list return it', () =>
  withStore(async (s, root) => {
    const data = Buffer.from('hello blob');
    const d = digestOf(data);
    const r = await s.put(data);
    assert.deepEqual(r, { digest: d, size: data.length, written: true });
    assert.equal(await readFile(join(root, 'blobs', 'sha256', d.slice(7)), 'utf8'), 'hello blob');
    assert.equal(await s.has(d), true);
    assert.deepEqual(await s.info(d), { digest: d, size: 10 });
    assert.equal((await s.readBlob(d)).toString(), 'hello blob');
    const chunks: Buffer[] = [];
    for await (const c of await s.get(d)) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'hello blob');
    assert.deepEqual(await s.list(), [{ digest: d, size: 10 }]);
    assert.equal((await s.put(data)).written, false, 'second put dedupes');
    assert.deepEqual(await readdir(join(root, 'ingest')), [], 'no ingest leftovers');
  }));

test('ContentStore rejects wrong content with expected and actual digest and keeps no blob', () =>
  withStore(async (s, root) => {
    const want = digestOf('right');
    await assert.rejects(s.put(Buffer.from('wrong'), want), (err: unknown) => {
      assert.ok(err instanceof ImageError);
      assert.equal(err.code, 'digest_mismatch');
      assert.match(err.message, new RegExp(`expected ${want}, actual ${digestOf('wrong')}`));
      return true;
    });
    assert.equal(await s.has(want), false);
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
  }));

test('ContentStore fails an oversized stream at once and a truncated one keeps its partial', () =>
  withStore(async (s) => {
    const data = Buffer.from('0123456789');
    const d = digestOf(data);
    await assert.rejects(s.ingest(d, async () => ({ offset: 0, stream: [data] }), { size: 5 }), /larger than the 5 bytes/);
    assert.equal(await s.has(d), false);
    await assert.rejects(
      s.ingest(d, async () => ({ offset: 0, stream: [data.subarray(0, 4)] }), { size: 10 }),
      (e: unknown) => e instanceof ImageError && e.code === 'size_mismatch' && /ended at 4 of 10/.test(e.message),
    );
    const usage = await s.usage();
    assert.equal(usage.ingestBytes, 4);
  }));

test('ContentStore resumes a partial ingest from its offset and verifies the whole blob', () =>
  withStore(async (s) => {
    const data = Buffer.from('abcdefghijklmnopqrstuvwxyz');
    const d = digestOf(data);
    const failing: BlobSource = async (offset) => ({
      offset,
      stream: (async function* () {
        yield data.subarray(0, 10);
        throw new Error('connection reset');
      })(),
    });
    await assert.rejects(s.ingest(d, failing, { size: data.length }), /connection reset/);
    const offsets: number[] = [];
    const r = await s.ingest(
      d,
      async (offset) => {
        offsets.push(offset);
        return { offset, stream: [data.subarray(offset)] };
      },
      { size: data.length },
    );
    assert.deepEqual(offsets, [10]);
    assert.equal(r.size, 26);
    assert.equal((await s.readBlob(d)).toString(), data.toString());
  }));

test('ContentStore restarts from zero when the source ignores the Range offset', () =>
  withStore(async (s, root) => {
    const data = Buffer.from('the quick brown fox');
    const d = digestOf(data);
    await writeFile(join(root, 'ingest', `sha256-${d.slice(7)}`), 'XXXXX');
    const r = await s.ingest(d, async () => ({ offset: 0, stream: [data] }), { size: data.length });
    assert.equal(r.size, data.length);
    assert.equal((await s.readBlob(d)).toString(), data.toString());
  }));

test('ContentStore downloads a digest once for concurrent in-process ingests', () =>
  withStore(async (s) => {
    const data = Buffer.alloc(100_000, 7);
    const d = digestOf(data);
    let calls = 0;
    const src: BlobSource = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 30));
      return { offset: 0, stream: [data] };
    };
    const results = await Promise.all([s.ingest(d, src), s.ingest(d, src), s.ingest(d, src)]);
    assert.equal(calls, 1);
    assert.deepEqual(results.map((r) => r.written).sort(), [false, false, true]);
  }));

test('ContentStore waits for another process holding the ingest lock and reuses its blob', () =>
  withStore(async (s, root) => {
    const data = Buffer.from('from another process');
    const d = digestOf(data);
    const lock = join(root, 'ingest', `sha256-${d.slice(7)}.lock`);
    await writeFile(lock, `${process.ppid}\n`); // a live pid that is not ours
    let calls = 0;
    const p = s.ingest(d, async () => {
      calls++;
      return { offset: 0, stream: [data] };
    });
    await new Promise((r) => setTimeout(r, 100));
    await writeFile(join(root, 'blobs', 'sha256', d.slice(7)), data);
    await rm(lock);
    const r = await p;
    assert.equal(r.written, false);
    assert.equal(calls, 0);
  }));

test('lock files held by a dead pid are broken; live holders time out with store_locked', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-lock-'));
  try {
    const path = join(dir, 'x.lock');
    await writeFile(path, `${deadPid()}\n`);
    const release = await acquireLock(path, { timeoutMs: 500 });
    assert.equal((await readFile(path, 'utf8')).trim(), String(process.pid));
    await release();
    await assert.rejects(stat(path), /ENOENT/);
    await writeFile(path, `${process.ppid}\n`);
    assert.equal(await tryLock(path), undefined);
    await assert.rejects(acquireLock(path, { timeoutMs: 50 }), (e: unknown) => e instanceof ImageError && e.code === 'store_locked');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ContentStore delete removes the blob and info then reports blob_not_found', () =>
  withStore(async (s) => {
    const { digest } = await s.put(Buffer.from('x'));
    assert.equal(await s.delete(digest), true);
    assert.equal(await s.delete(digest), false);
    await assert.rejects(s.info(digest), (e: unknown) => e instanceof ImageError && e.code === 'blob_not_found');
  }));
