import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCgroupManager } from './factory.js';
import { makeFakeV2Tree } from './fake-tree.js';
import { watchOomKills } from './oom.js';

test('watchOomKills reports growth of the OOM-kill count, not the starting value', async () => {
  const tree = makeFakeV2Tree();
  try {
    const m = createCgroupManager({ path: '/c', version: 2, root: tree.root, selfCgroup: tree.selfCgroup, fs: tree.fs });
    await m.create();
    tree.write('c/memory.events', 'oom 3\noom_kill 3\n');
    const seen: [number, number][] = [];
    const w = watchOomKills(m, (n, total) => seen.push([n, total]), { intervalMs: 5 });
    await new Promise((r) => setTimeout(r, 30));
    tree.write('c/memory.events', 'oom 5\noom_kill 5\n');
    await new Promise((r) => setTimeout(r, 40));
    w.close();
    assert.deepEqual(seen, [[2, 5]]);
    await m.destroy();
  } finally {
    tree.cleanup();
  }
});
