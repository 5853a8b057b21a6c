import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readTar, parsePax, type TarHeader } from './tar.js';
import { writeTar, encodeHeader, type TarWriteEntry } from './tar-writer.js';
import { decompress } from './decompress.js';
import { BerthError } from '../../errors.js';

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  // Odd chunk sizes exercise header/body splits across chunks.
  for (let i = 0; i < b.length; i += 333) yield b.subarray(i, i + 333);
}

async function collect(src: AsyncIterable<Uint8Array>): Promise<{ header: TarHeader; data: Buffer }[]> {
  const out: { header: TarHeader; data: Buffer }[] = [];
  for await (const e of readTar(src)) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c);
    out.push({ header: e.header, data: Buffer.concat(parts) });
  }
  return out;
}

async function bytes(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

function withTmp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tar-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const longDir = 'd'.repeat(120);
const longFile = `${longDir}/${'f'.repeat(110)}`;

function gnuTarOf(format: string): Buffer {
  return withTmp((dir) => {
    mkdirSync(join(dir, longDir));
    writeFileSync(join(dir, longFile), 'long body\n');
    symlinkSync('t'.repeat(150), join(dir, 'lnk'));
    writeFileSync(join(dir, 'small'), Buffer.alloc(1500, 7));
    utimesSync(join(dir, 'small'), 1_600_000_000.5, 1_600_000_000.5);
    return execFileSync('tar', [`--format=${format}`, '--owner=1234567:1234567', '--group=7:7', '-C', dir, '-cf', '-', '--sort=name', 'small', 'lnk', longDir]);
  });
}

test('readTar reads GNU long names and long link targets written by GNU tar', async () => {
  const entries = await collect(once(gnuTarOf('gnu')));
  const byName = new Map(entries.map((e) => [e.header.name.replace(/\/$/, ''), e]));
  assert.equal(byName.get(longFile)?.data.toString(), 'long body\n');
  assert.equal(byName.get('lnk')?.header.type, 'symlink');
  assert.equal(byName.get('lnk')?.header.linkname, 't'.repeat(150));
  assert.deepEqual(byName.get('small')?.data, Buffer.alloc(1500, 7));
  assert.equal(byName.get('small')?.header.uid, 1234567);
  assert.equal(byName.get(longDir)?.header.type, 'dir');
});

test('readTar reads PAX path, linkpath, uid and fractional mtime written by GNU tar', async () => {
  const entries = await collect(once(gnuTarOf('posix')));
  const small = entries.find((e) => e.header.name === 'small');
  assert.ok(small);
  assert.equal(small.header.mtime, 1_600_000_000.5);
  assert.equal(small.header.uid, 1234567);
  assert.equal(small.header.gid, 7);
  assert.ok(entries.some((e) => e.header.name === longFile && e.data.toString() === 'long body\n'));
  assert.ok(entries.some((e) => e.header.linkname === 't'.repeat(150)));
});

test('writeTar output round-trips through readTar with xattrs, devices, big ids and long names', async () => {
  const xattrs = new Map([['security.capability', Buffer.from([1, 0, 0, 2, 0xff, 0])], ['user.note', Buffer.from('é')]]);
  const input: TarWriteEntry[] = [
    { name: 'dir/', type: 'dir', mode: 0o1777, mtime: 5 },
    { name: `dir/${'x'.repeat(300)}`, type: 'file', mode: 0o4755, uid: 3_000_000, gid: 9, mtime: 7, body: Buffer.from('abc'), xattrs },
    { name: 'dir/null', type: 'char', mode: 0o666, mtime: 1, devmajor: 1, devminor: 3 },
    { name: 'dir/hl', type: 'hardlink', mode: 0o644, mtime: 1, linkname: `dir/${'x'.repeat(300)}` },
    { name: 'fifo', type: 'fifo', mode: 0o600, mtime: 1 },
  ];
  const got = await collect(once(await bytes(writeTar(input))));
  assert.deepEqual(got.map((e) => [e.header.name, e.header.type]), input.map((e) => [e.name, e.type]));
  const f = got[1]!;
  assert.equal(f.header.mode, 0o4755);
  assert.equal(f.header.uid, 3_000_000);
  assert.equal(f.data.toString(), 'abc');
  assert.deepEqual(f.header.xattrs, xattrs);
  assert.equal(got[0]!.header.mode, 0o1777);
  assert.deepEqual([got[2]!.header.devmajor, got[2]!.header.devminor], [1, 3]);
  assert.equal(got[3]!.header.linkname, `dir/${'x'.repeat(300)}`);
});

test('writeTar is deterministic and GNU tar lists what it wrote', async () => {
  const input = (): TarWriteEntry[] => [{ name: `a/${'n'.repeat(200)}`, type: 'file', mode: 0o644, mtime: 0, body: Buffer.from('1') }];
  const a = await bytes(writeTar(input()));
  const b = await bytes(writeTar(input()));
  assert.deepEqual(a, b);
  const listed = execFileSync('tar', ['-tf', '-'], { input: a }).toString().trim();
  assert.equal(listed, `a/${'n'.repeat(200)}`);
});

function rawEntry(flag: string, name: string, body: Buffer): Buffer {
  const h = encodeHeader({ name, type: 'file', mode: 0o644, mtime: 0, size: body.length });
  h.write(flag, 156, 1, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of h) sum += c;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return Buffer.concat([h, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

test('readTar decodes LIBARCHIVE.xattr and applies global PAX headers to later entries', async () => {
  const rec = (k: string, v: string): string => {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    return `${len}${body}`;
  };
  const g = rawEntry('g', 'global', Buffer.from(rec('uid', '42')));
  const x = rawEntry('x', 'pax', Buffer.from(rec(`LIBARCHIVE.xattr.user.a%3Db`, Buffer.from([0, 1, 2]).toString('base64'))));
  const f = await bytes(writeTar([{ name: 'f', type: 'file', mode: 0o644, mtime: 0, body: Buffer.from('z') }, { name: 'g', type: 'dir', mode: 0o755, mtime: 0 }]));
  const got = await collect(once(Buffer.concat([g, x, f])));
  assert.deepEqual(got[0]!.header.xattrs.get('user.a=b'), Buffer.from([0, 1, 2]));
  assert.equal(got[0]!.header.uid, 42);
  assert.equal(got[1]!.header.uid, 42);
  assert.equal(got[1]!.header.xattrs.size, 0);
});

test('readTar rejects a corrupted checksum, a truncated body and sparse entries with clear errors', async () => {
  const good = await bytes(writeTar([{ name: 'f', type: 'file', mode: 0o644, mtime: 0, body: Buffer.alloc(2000, 1) }]));
  const bad = Buffer.from(good);
  bad[0] = 0x41;
  await assert.rejects(collect(once(bad)), (e: unknown) => e instanceof BerthError && e.code === 'layer_invalid' && /offset 0: checksum/.test(e.message));
  await assert.rejects(collect(once(good.subarray(0, 1024))), /"f": unexpected end of archive/);
  await assert.rejects(collect(once(rawEntry('S', 'sparse', Buffer.alloc(0)))), (e: unknown) => e instanceof BerthError && e.code === 'layer_unsupported' && /sparse/.test(e.message));
  assert.throws(() => parsePax(Buffer.from('99 path=x\n'), 0), /malformed record/);
});

test('decompress detects gzip, zstd and plain tar by magic bytes and checks the media type', async () => {
  const plain = await bytes(writeTar([{ name: 'f', type: 'file', mode: 0o644, mtime: 0, body: Buffer.alloc(100_000, 3) }]));
  const zst = execFileSync('zstd', ['-q', '-c'], { input: plain });
  assert.deepEqual(await bytes(decompress(once(plain))), plain);
  assert.deepEqual(await bytes(decompress(once(gzipSync(plain)), 'gzip')), plain);
  assert.deepEqual(await bytes(decompress(once(zst), 'zstd')), plain);
  await assert.rejects(bytes(decompress(once(plain), 'gzip')), /media type says gzip but content is not compressed/);
  await assert.rejects(bytes(decompress(once(gzipSync(plain).subarray(0, 50)))), (e: unknown) => e instanceof BerthError && e.code === 'layer_invalid');
  await assert.rejects(bytes(decompress(once(zst.subarray(0, zst.length - 10)))), /zstd/);
});
