import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { applyLayer } from './apply.js';
import { S_IFCHR, S_IFIFO } from './native.js';
import { BerthError } from '../../errors.js';
import { chunked, RecordingLayerSyscalls, tarOf } from './testing.js';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-apply-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const opts = () => ({ syscalls: new RecordingLayerSyscalls(), ignoreOwnership: true });

function isCode(code: string, re: RegExp) {
  return (e: unknown) => e instanceof BerthError && e.code === code && re.test(e.message);
}

test('applyLayer writes files, dirs, symlinks and hard links and returns the diff id of the uncompressed tar', async () => {
  await withTmp(async (dir) => {
    const tar = await tarOf([
      { name: 'etc/', mode: 0o750, mtime: 1000 },
      { name: 'etc/passwd', text: 'root:x:0:0\n', mode: 0o4711, mtime: 2000 },
      { name: 'etc/link', type: 'hardlink', linkname: 'etc/passwd' },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox', mtime: 3000 },
      { name: 'deep/a/b/c', text: 'c' },
    ]);
    const o = opts();
    const seen: string[] = [];
    const dest = join(dir, 'layer');
    const r = await applyLayer(chunked(gzipSync(tar), 1000), dest, { ...o, onEntry: (h) => seen.push(h.name) });
    assert.equal(r.diffId, `sha256:${createHash('sha256').update(tar).digest('hex')}`);
    assert.equal(r.size, tar.length);
    assert.equal(r.entries, 5);
    assert.equal(seen.length, 5);
    assert.equal(readFileSync(join(dest, 'etc/passwd'), 'utf8'), 'root:x:0:0\n');
    assert.equal(lstatSync(join(dest, 'etc/passwd')).mode & 0o7777, 0o4711);
    assert.equal(lstatSync(join(dest, 'etc/link')).ino, lstatSync(join(dest, 'etc/passwd')).ino);
    assert.equal(readlinkSync(join(dest, 'bin/sh')), '/bin/busybox');
    assert.equal(lstatSync(join(dest, 'bin/sh')).mtimeMs, 3_000_000);
    // Directory mtimes survive the files written into them afterwards.
    assert.equal(lstatSync(join(dest, 'etc')).mtimeMs, 1_000_000);
    assert.equal(lstatSync(join(dest, 'etc')).mode & 0o7777, 0o750);
    assert.equal(lstatSync(join(dest, 'deep/a/b')).mode & 0o777, 0o755);
    assert.deepEqual(readdirSync(dir), ['layer']);
  });
});

test('applyLayer turns .wh. entries into whiteout char devices and .wh..wh..opq into the opaque xattr', async () => {
  await withTmp(async (dir) => {
    const o = opts();
    const dest = join(dir, 'layer');
    await applyLayer(chunked(await tarOf([{ name: 'a/' }, { name: 'a/.wh..wh..opq' }, { name: 'a/.wh.gone' }, { name: '.wh.top' }, { name: 'p', type: 'fifo', mode: 0o640 }])), dest, o);
    // The fake records against the temp dir that was renamed to dest.
    const rel = o.syscalls.nodes.map((n) => [n.path.replace(/^.*\.unpack-[^/]+\//, ''), n.mode, n.dev]);
    assert.deepEqual(rel, [['a/gone', S_IFCHR, 0], ['top', S_IFCHR, 0], ['p', S_IFIFO | 0o640, 0]]);
    const opaque = [...o.syscalls.xattrs].map(([p, m]) => [p.replace(/^.*\.unpack-[^/]+\//, ''), m.get('trusted.overlay.opaque')?.toString()]);
    assert.deepEqual(opaque, [['a', 'y']]);
    assert.ok(existsSync(join(dest, 'a/gone')));
  });
});

test('applyLayer rejects escaping entries whole, names the entry and leaves nothing behind', async () => {
  const cases: [string, Parameters<typeof tarOf>[0], RegExp][] = [
    ['dotdot', [{ name: 'ok', text: 'x' }, { name: '../evil', text: 'x' }], /"..\/evil": path escapes/],
    ['nested dotdot', [{ name: 'a/../../evil', text: 'x' }], /"a\/..\/..\/evil": path escapes/],
    ['absolute', [{ name: '/etc/passwd', text: 'x' }], /"\/etc\/passwd": absolute path/],
    ['symlinked parent', [{ name: 'l', type: 'symlink', linkname: '../../..' }, { name: 'l/evil', text: 'x' }], /"l\/evil": a symlinked parent escapes/],
    ['symlink chain', [{ name: 'a', type: 'symlink', linkname: 'b/../..' }, { name: 'b/', }, { name: 'a/x', text: 'x' }], /"a\/x": a symlinked parent escapes/],
    ['hard link out', [{ name: 'h', type: 'hardlink', linkname: '../../etc/shadow' }], /hard link target "..\/..\/etc\/shadow": path escapes/],
    ['hard link via symlink', [{ name: 'l', type: 'symlink', linkname: '../..' }, { name: 'h', type: 'hardlink', linkname: 'l/etc/shadow' }], /"h": a symlinked parent escapes/],
    ['symlink loop', [{ name: 'a', type: 'symlink', linkname: 'a' }, { name: 'a/x', text: 'x' }], /too many levels/],
  ];
  for (const [what, entries, re] of cases) {
    await withTmp(async (dir) => {
      const dest = join(dir, 'layer');
      mkdirSync(dest);
      await assert.rejects(applyLayer(chunked(await tarOf(entries)), dest, opts()), isCode('layer_unsafe', re), what);
      assert.deepEqual(readdirSync(dir), ['layer'], what);
      assert.deepEqual(readdirSync(dest), [], what);
      assert.ok(!existsSync(join(dir, 'evil')), what);
    });
  }
});

test('applyLayer follows absolute symlinked parents inside the layer root', async () => {
  await withTmp(async (dir) => {
    const dest = join(dir, 'layer');
    await applyLayer(chunked(await tarOf([{ name: 'usr/lib/' }, { name: 'lib', type: 'symlink', linkname: '/usr/lib' }, { name: 'lib/libc.so', text: 'elf' }, { name: 'cfg', type: 'symlink', linkname: '/etc/app' }, { name: 'cfg/x', text: 'in' }])), dest, opts());
    assert.equal(readFileSync(join(dest, 'usr/lib/libc.so'), 'utf8'), 'elf');
    assert.equal(readFileSync(join(dest, 'etc/app/x'), 'utf8'), 'in');
    assert.ok(lstatSync(join(dest, 'cfg')).isSymbolicLink());
  });
});

test('applyLayer enforces entry and size limits with layer_too_large', async () => {
  await withTmp(async (dir) => {
    const tar = await tarOf([{ name: 'a', text: 'x' }, { name: 'b', text: 'y' }, { name: 'c', body: Buffer.alloc(100_000) }]);
    const dest = join(dir, 'layer');
    await assert.rejects(applyLayer(chunked(tar), dest, { ...opts(), maxEntries: 2 }), isCode('layer_too_large', /more than 2 entries/));
    await assert.rejects(applyLayer(chunked(gzipSync(tar)), dest, { ...opts(), maxBytes: 50_000 }), isCode('layer_too_large', /limit of 50000 bytes/));
    assert.deepEqual(readdirSync(dir), []);
  });
});

test('applyLayer replaces earlier entries of the same layer and refuses a non-empty destination', async () => {
  await withTmp(async (dir) => {
    const dest = join(dir, 'layer');
    await applyLayer(chunked(await tarOf([{ name: 'x/', }, { name: 'x/f', text: '1' }, { name: 'x', text: 'now a file' }, { name: 'y', text: 'old' }, { name: 'y', text: 'new' }])), dest, opts());
    assert.equal(readFileSync(join(dest, 'x'), 'utf8'), 'now a file');
    assert.equal(readFileSync(join(dest, 'y'), 'utf8'), 'new');
    writeFileSync(join(dir, 'other'), '');
    await assert.rejects(applyLayer(chunked(await tarOf([{ name: 'z' }])), dest, opts()), isCode('layer_dest_not_empty', /is not empty/));
    await assert.rejects(applyLayer(chunked(await tarOf([{ name: 'h', type: 'hardlink', linkname: 'missing' }])), join(dir, 'l2'), opts()), isCode('layer_invalid', /"missing" is not in this layer/));
    await assert.rejects(applyLayer(chunked(await tarOf([{ name: 'x' }, { name: 'x/y' }])), join(dir, 'l3'), opts()), isCode('layer_invalid', /x is not a directory/));
  });
});

test('applyLayer gives directories a layer uses implicitly the metadata the lower layers show', async () => {
  await withTmp(async (dir) => {
    const o = opts();
    const bottom = join(dir, 'bottom');
    const top = join(dir, 'top');
    mkdirSync(join(bottom, 'a/b'), { recursive: true, mode: 0o750 });
    chmodSync(join(bottom, 'a'), 0o700);
    mkdirSync(join(bottom, 'x/y'), { recursive: true, mode: 0o700 });
    mkdirSync(join(bottom, 'w/v'), { recursive: true, mode: 0o700 });
    mkdirSync(join(top, 'x'), { recursive: true });
    o.syscalls.lsetxattr(join(top, 'x'), 'trusted.overlay.opaque', Buffer.from('y'));
    writeFileSync(join(top, 'w'), ''); // a file in a higher layer hides the lower w/v
    const dest = join(dir, 'layer');
    await applyLayer(chunked(await tarOf([{ name: 'a/b/f', text: 'f' }, { name: 'x/y/f' }, { name: 'w/v/f' }, { name: 'n/f' }])), dest, { ...o, lowerDirs: [top, bottom] });
    const mode = (p: string) => lstatSync(join(dest, p)).mode & 0o7777;
    assert.deepEqual([mode('a'), mode('a/b'), mode('x/y'), mode('w/v'), mode('n')], [0o700, 0o750, 0o755, 0o755, 0o755]);
    assert.equal(mode('x'), 0o755, 'x comes from the top layer and is not opaque itself here');
  });
});
