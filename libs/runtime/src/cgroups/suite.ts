import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { BerthError } from '../errors.js';
import type { CgroupManager } from './types.js';

/** What the shared CgroupManager suite needs from one driver + tree. */
export interface CgroupHarness {
  /** A manager for container `id` beneath this harness's unique parent cgroup. */
  manager(id: string): CgroupManager;
  /** Start a process (a `sleep`) the test may place in a cgroup. */
  startProcess(): Promise<number>;
  /** Which resource checks the tree can answer. */
  supports: { pids: boolean; memory: boolean; freeze: boolean };
  /** Kill started processes, remove the unique parent; must not throw over a test failure. */
  cleanup(): Promise<void>;
}

const dirsOf = (m: CgroupManager): string[] => m.procsFiles().map((f) => dirname(f));

/** The contract every CgroupManager meets; `name` prefixes the test names. */
export function cgroupSuite(name: string, make: () => Promise<CgroupHarness>, opts: { skip?: string | false } = {}): void {
  const t = (title: string, fn: (h: CgroupHarness) => Promise<void>, skip?: (h: CgroupHarness) => boolean): void => {
    test(`${name}: ${title}`, { skip: opts.skip ?? false }, async (ctx) => {
      const h = await make();
      try {
        if (skip?.(h)) return ctx.skip('not supported by this tree');
        await fn(h);
      } finally {
        await h.cleanup();
      }
    });
  };

  t('create is idempotent and destroy removes what it made', async (h) => {
    const m = h.manager('c1');
    await m.create();
    await m.create();
    assert.ok(dirsOf(m).length > 0);
    for (const f of m.procsFiles()) assert.ok(existsSync(f), `${f} exists after create`);
    await m.destroy();
    for (const d of dirsOf(m)) {
      assert.ok(!existsSync(d), `${d} removed`);
      assert.ok(!existsSync(dirname(d)), `created parent ${dirname(d)} removed`);
      assert.ok(existsSync(dirname(dirname(d))), `pre-existing ${dirname(dirname(d))} kept`);
    }
  });

  t('a parent shared with a sibling survives the first destroy', async (h) => {
    const a = h.manager('a');
    const b = h.manager('b');
    await a.create();
    await b.create();
    await a.destroy();
    for (const d of dirsOf(b)) assert.ok(existsSync(d), `${d} of the sibling kept`);
    await b.destroy();
    for (const d of dirsOf(b)) assert.ok(!existsSync(d));
  });

  t('addProcess places a pid that pids() lists; kill and destroy empty it', async (h) => {
    const m = h.manager('p');
    await m.create();
    const pid = await h.startProcess();
    await m.addProcess(pid);
    assert.deepEqual(await m.pids(), [pid]);
    await m.kill('SIGKILL');
    await m.destroy();
    for (const d of dirsOf(m)) assert.ok(!existsSync(d));
  });

  t('pids limit is applied and reported by stats', async (h) => {
    const m = h.manager('l');
    await m.create();
    await m.set({ pids: { limit: 42 } });
    assert.equal((await m.stats()).pids.limit, 42);
    await m.set({ pids: { limit: 0 } });
    assert.equal((await m.stats()).pids.limit, Infinity);
    await m.destroy();
  }, (h) => !h.supports.pids);

  t('memory limit is applied and reported by stats', async (h) => {
    const m = h.manager('m');
    await m.create();
    await m.set({ memory: { limit: 64 * 1024 * 1024 } });
    assert.equal((await m.stats()).memory.limit, 64 * 1024 * 1024);
    assert.equal(await m.oomKillCount(), 0);
    await m.destroy();
  }, (h) => !h.supports.memory);

  t('freeze and thaw report their state', async (h) => {
    const m = h.manager('f');
    await m.create();
    await m.addProcess(await h.startProcess());
    assert.equal(await m.freezerState(), 'thawed');
    await m.freeze();
    assert.equal(await m.freezerState(), 'frozen');
    await m.thaw();
    assert.equal(await m.freezerState(), 'thawed');
    await m.kill('SIGKILL');
    await m.destroy();
  }, (h) => !h.supports.freeze);

  t('bad pid and bad signal are invalid_argument', async (h) => {
    const m = h.manager('x');
    await m.create();
    await assert.rejects(m.addProcess(-1), (e: unknown) => e instanceof BerthError && e.category === 'invalid_argument');
    await assert.rejects(m.kill('SIGNOPE' as NodeJS.Signals), (e: unknown) => e instanceof BerthError && e.category === 'invalid_argument' && /SIGNOPE/.test(e.message));
    await m.destroy();
  });
}
