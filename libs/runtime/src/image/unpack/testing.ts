/**
 * Test helpers for the unpack layer: a recording LayerSyscalls fake (no privileges needed) and
 * small builders for layer tars. Used by specs here and by snapshot/ tests.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerSyscalls } from './native.js';
import { writeTar, type TarWriteEntry } from './tar-writer.js';

export interface RecordedNode {
  path: string;
  mode: number;
  dev: number;
}

/**
 * A fake that records mknod calls (leaving an empty regular file as placeholder so later
 * metadata calls work) and keeps xattrs in memory per path.
 */
export class RecordingLayerSyscalls implements LayerSyscalls {
  readonly nodes: RecordedNode[] = [];
  readonly xattrs = new Map<string, Map<string, Buffer>>();

  mknod(path: string, mode: number, dev: number): void {
    writeFileSync(path, '', { flag: 'wx' });
    this.nodes.push({ path, mode, dev });
  }

  lsetxattr(path: string, name: string, value: Buffer): void {
    let m = this.xattrs.get(path);
    if (!m) this.xattrs.set(path, (m = new Map()));
    m.set(name, Buffer.from(value));
  }

  lgetxattr(path: string, name: string): Buffer | undefined {
    return this.xattrs.get(path)?.get(name);
  }

  llistxattr(path: string): string[] {
    return [...(this.xattrs.get(path)?.keys() ?? [])];
  }
}

/** Concatenates a byte stream. */
export async function readAll(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** A complete layer tar of `entries` (defaults: mode 0644/0755, mtime 0). */
export async function tarOf(entries: (Partial<TarWriteEntry> & Pick<TarWriteEntry, 'name'> & { text?: string })[]): Promise<Buffer> {
  const full = entries.map((e): TarWriteEntry => {
    const type = e.type ?? (e.name.endsWith('/') ? 'dir' : 'file');
    const body = e.body ?? (e.text !== undefined ? Buffer.from(e.text) : type === 'file' ? Buffer.alloc(0) : undefined);
    const out: TarWriteEntry = { mode: type === 'dir' ? 0o755 : 0o644, mtime: 0, ...e, type };
    if (body !== undefined) out.body = body;
    delete (out as { text?: string }).text;
    return out;
  });
  return readAll(writeTar(full));
}

/** Yields `b` in chunks of `size` bytes, like a network stream. */
export async function* chunked(b: Buffer, size = 4096): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

/**
 * One line per path below `root` (sorted): type, mode, uid:gid, then a content hash, symlink
 * target or device number, plus xattrs when `sys` is given. Used to compare unpacked trees.
 */
export function describeTree(root: string, opts: { sys?: LayerSyscalls; mtimes?: boolean; skip?: (rel: string) => boolean } = {}): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (opts.skip?.(r)) continue;
      const p = join(root, r);
      const st = lstatSync(p);
      let what: string;
      if (st.isDirectory()) what = 'dir';
      else if (st.isSymbolicLink()) what = `symlink->${readlinkSync(p)}`;
      else if (st.isFile()) what = `file sha256:${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`;
      else if (st.isCharacterDevice()) what = `char ${st.rdev}`;
      else if (st.isBlockDevice()) what = `block ${st.rdev}`;
      else if (st.isFIFO()) what = 'fifo';
      else what = 'other';
      const mode = st.isSymbolicLink() ? '' : ` ${(st.mode & 0o7777).toString(8)}`;
      const x = opts.sys
        ? opts.sys.llistxattr(p).sort().map((k) => ` ${k}=${opts.sys!.lgetxattr(p, k)?.toString('hex')}`).join('')
        : '';
      const mt = opts.mtimes ? ` mtime=${Math.floor(st.mtimeMs / 1000)}` : '';
      out.push(`${r} ${what}${mode} ${st.uid}:${st.gid}${x}${mt}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}
