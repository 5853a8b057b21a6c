import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher } from './batcher.js';

test('batcher: calls submitted in one turn run as one batch, each gets its own result', async () => {
  const batches: number[][] = [];
  const b = new Batcher<number, number>(async (items) => {
    batches.push(items);
    return items.map((i) => i * 10);
  });
  const got = await Promise.all([1, 2, 3].map((i) => b.submit(i)));
  assert.deepEqual(got, [10, 20, 30]);
  assert.deepEqual(batches, [[1, 2, 3]]);
});

test('batcher: items submitted while a batch runs form the next batch', async () => {
  const batches: number[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const b = new Batcher<number, number>(async (items) => {
    batches.push(items);
    if (batches.length === 1) await gate;
    return items;
  });
  const first = b.submit(1);
  await new Promise((r) => setImmediate(r)); // batch [1] is running now
  const later = [2, 3, 4].map((i) => b.submit(i));
  assert.equal(b.pending, 3);
  release();
  assert.deepEqual(await Promise.all([first, ...later]), [1, 2, 3, 4]);
  assert.deepEqual(batches, [[1], [2, 3, 4]]);
});

test('batcher: an Error in a slot fails that item only; a thrown error fails its batch only', async () => {
  let calls = 0;
  const b = new Batcher<string, string>(async (items) => {
    calls++;
    if (items.includes('boom')) throw new Error('database down');
    return items.map((i) => (i === 'bad' ? new Error(`no such node ${i}`) : i.toUpperCase()));
  });
  const [ok, bad] = await Promise.allSettled([b.submit('a'), b.submit('bad')]);
  assert.deepEqual(ok, { status: 'fulfilled', value: 'A' });
  assert.equal(bad?.status, 'rejected');
  assert.match(String((bad as PromiseRejectedResult).reason), /no such node bad/);
  await assert.rejects(b.submit('boom'), /database down/);
  assert.equal(await b.submit('c'), 'C', 'the batcher keeps working after a failed batch');
  assert.equal(calls, 3);
});

test('batcher: maxBatch splits a large queue; a wrong result count is an error', async () => {
  const sizes: number[] = [];
  const b = new Batcher<number, number>(async (items) => {
    sizes.push(items.length);
    return items;
  }, { maxBatch: 4 });
  await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(i)));
  assert.deepEqual(sizes, [4, 4, 2]);
  const broken = new Batcher<number, number>(async () => [1]);
  await assert.rejects(Promise.all([broken.submit(1), broken.submit(2)]), /batch returned 1 results for 2 items/);
  assert.throws(() => new Batcher(async () => [], { maxBatch: 0 }), /maxBatch must be a positive integer/);
});
