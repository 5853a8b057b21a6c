import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCgroupManager } from './factory.js';
import { makeFakeV2Tree } from './fake-tree.js';
import { watchOomKills } from './oom.js';
import type { CgroupManager } from './types.js';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

test('watchOomKills reports growth of the OOM-kill count, not the starting value', async () => {
  const tree = makeFakeV2Tree();
  try {
    const m = createCgroupManager({ path: '/c', version: 2, root: tree.root, selfCgroup: tree.selfCgroup, fs: tree.fs });
    await m.create();
    // Replaced by rename, as the kernel's file never reads half-written; and the second value
    // is written only after the watcher took its first reading (a loaded machine can delay it).
    const events = join(tree.root, 'c/memory.events');
    const write = (text: string) => {
      writeFileSync(`${events}.tmp`, text);
      renameSync(`${events}.tmp`, events);
    };
    write('oom 3\noom_kill 3\n');
    let reads = 0;
    const spy = Object.assign(Object.create(m) as CgroupManager, {
      oomKillCount: async () => {
        const n = await m.oomKillCount();
        reads++;
        return n;
      },
    });
    const seen: [number, number][] = [];
    const w = watchOomKills(spy, (n, total) => seen.push([n, total]), { intervalMs: 5 });
    await until(() => reads >= 1);
    write('oom 5\noom_kill 5\n');
    await until(() => seen.length > 0);
    await new Promise((r) => setTimeout(r, 30)); // no second report for the same kills
    w.close();
    assert.deepEqual(seen, [[2, 5]]);
    await m.destroy();
  } finally {
    tree.cleanup();
  }
});

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 2));
  }
}
