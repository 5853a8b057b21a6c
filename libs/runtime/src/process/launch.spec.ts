import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../errors.js';
import { MS } from '../rootfs/types.js';
import { launchInit } from './launch.js';

const rootfs = { rootfs: '/r', rootPropagation: MS.REC | MS.SLAVE, readonlyRoot: false, mounts: [], devices: [], symlinks: [], maskedPaths: [], readonlyPaths: [] };
const base = {
  containerId: 'c1', stateDir: '/tmp', exitFile: '/tmp/none', detach: false, stdio: 'inherit' as const, cgroupProcsFiles: [],
  namespaces: [{ type: 'mount' as const }], rootfs, spec: { ociVersion: '1.2.0', process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['true'] } },
};

test('launchInit reports a missing shim binary as unavailable', async () => {
  await assert.rejects(launchInit({ ...base, shimPath: '/nonexistent/berth-shim' }), (err: unknown) => {
    assert.ok(err instanceof BerthError);
    assert.equal(err.code, 'shim_spawn_failed');
    assert.equal(err.category, 'unavailable');
    assert.match(err.message, /^failed to create container c1: cannot run \/nonexistent\/berth-shim: .*ENOENT/);
    return true;
  });
});

test('launchInit reports a shim that exits without answering', async () => {
  await assert.rejects(launchInit({ ...base, shimPath: '/bin/true' }), /failed to create container c1: the shim exited \(code 0, signal null\) before "pid"/);
});
