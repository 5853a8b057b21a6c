/** Image commands: pull, push, images, inspect, tag, rmi, prune. */
import { ImageRecords, parsePlatform, parseReference, pullImage, pushImage, type ImageStore, type PullResult } from '@berth/runtime';
import { expectArgs, parseArgs, UsageError } from '../args.js';
import type { CliContext } from '../context.js';
import { humanSize, shortDigest, splitName, table, timeAgo } from '../format.js';
import { PullProgressView } from '../progress.js';

/** Pulls `ref` with progress on stderr-free stdout (bars on a TTY, lines otherwise). */
export async function pullWithProgress(ctx: CliContext, ref: string, opts: { platform?: string; quiet?: boolean } = {}): Promise<PullResult> {
  const out = ctx.out;
  const view = new PullProgressView(out, out.isTTY);
  const name = ImageRecords.recordName(parseReference(ref));
  if (!opts.quiet) out.write(`Pulling ${name}\n`);
  const result = await pullImage(ref, {
    store: ctx.containers.images,
    registry: await ctx.registry(),
    logger: ctx.env.logger,
    ...(opts.platform ? { platform: parsePlatform(opts.platform) } : {}),
    ...(opts.quiet ? {} : { onProgress: (e) => view.update(e) }),
  });
  if (!opts.quiet) {
    view.finish();
    out.write(`Digest: ${result.digest}\n`);
    out.write(result.downloadedBytes > 0 ? `Status: Downloaded newer image for ${name}\n` : `Status: Image is up to date for ${name}\n`);
  }
  out.write(`${name}\n`);
  return result;
}

async function pull(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'platform', kind: 'string' }, { name: 'quiet', short: 'q', kind: 'bool' }]);
  expectArgs('pull', p.rest, 1, 1, '[--platform os/arch] [-q] IMAGE');
  const platform = p.strings.get('platform');
  await pullWithProgress(ctx, p.rest[0] as string, { ...(platform ? { platform } : {}), quiet: p.bools.has('quiet') });
  return 0;
}

async function push(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'quiet', short: 'q', kind: 'bool' }]);
  expectArgs('push', p.rest, 1, 2, '[-q] IMAGE [TARGET]');
  const [source, target] = p.rest as [string, string | undefined];
  const quiet = p.bools.has('quiet');
  const r = await pushImage(source, target, {
    store: ctx.containers.images,
    registry: await ctx.registry(),
    logger: ctx.env.logger,
    ...(quiet ? {} : { onProgress: (e) => e.status !== 'checking' && ctx.out.write(`${shortDigest(e.digest)}: ${e.status} ${humanSize(e.size)}\n`) }),
  });
  ctx.out.write(quiet ? `${r.digest}\n` : `${r.reference}: digest: ${r.digest}\n`);
  return 0;
}

interface ImageRow {
  name: string;
  repository: string;
  tag: string;
  digest: string;
  id: string;
  size: number;
  created: string;
}

async function imageRows(store: ImageStore): Promise<ImageRow[]> {
  const rows: ImageRow[] = [];
  for (const r of await store.list()) {
    const { repository, tag } = splitName(r.name);
    let size = 0;
    let created = r.created;
    let id = '';
    try {
      const d = await store.inspect(r.name);
      size = d.size;
      created = d.config.created ?? r.created;
      id = d.manifest.config.digest;
    } catch {
      /* blobs gone (e.g. pruned elsewhere): still list the record */
    }
    rows.push({ name: r.name, repository, tag, digest: r.digest, id, size, created });
  }
  return rows;
}

async function images(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'format', kind: 'string' }, { name: 'quiet', short: 'q', kind: 'bool' }]);
  expectArgs('images', p.rest, 0, 0, '[--format table|json] [-q]');
  const format = p.strings.get('format') ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`invalid value ${JSON.stringify(format)} for --format: want table or json`);
  const rows = await imageRows(ctx.containers.images);
  if (p.bools.has('quiet')) ctx.out.write(rows.map((r) => `${r.digest}\n`).join(''));
  else if (format === 'json') ctx.out.write(`${JSON.stringify(rows, null, 2)}\n`);
  else ctx.out.write(table(['REPOSITORY', 'TAG', 'DIGEST', 'SIZE', 'CREATED'], rows.map((r) => [r.repository, r.tag, r.digest, humanSize(r.size), timeAgo(r.created)])));
  return 0;
}

async function inspect(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  expectArgs('inspect', p.rest, 1, Infinity, 'IMAGE...');
  const out = [];
  for (const name of p.rest) {
    const d = await ctx.containers.images.inspect(name);
    out.push({ Name: d.record.name, Digest: d.record.digest, MediaType: d.record.mediaType, ManifestDigest: d.manifestDigest, Size: d.size, Created: d.config.created ?? null, Architecture: d.config.architecture, Os: d.config.os, Config: d.config.config, RootFS: d.config.rootfs, Layers: d.manifest.layers, History: d.config.history ?? [] });
  }
  ctx.out.write(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}

async function tag(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  expectArgs('tag', p.rest, 2, 2, 'SOURCE TARGET');
  await ctx.containers.images.tag(p.rest[0] as string, p.rest[1] as string);
  return 0;
}

async function rmi(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  expectArgs('rmi', p.rest, 1, Infinity, 'IMAGE...');
  for (const name of p.rest) {
    for (const r of await ctx.containers.images.remove(name)) ctx.out.write(`Untagged: ${r.name}\n`);
  }
  return 0;
}

async function prune(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [{ name: 'dry-run', kind: 'bool' }]);
  expectArgs('prune', p.rest, 0, 0, '[--dry-run]');
  const dryRun = p.bools.has('dry-run');
  const snaps = await ctx.containers.pruneSnapshots({ dryRun });
  const blobs = await ctx.containers.images.gc({ dryRun });
  for (const d of blobs.removed) ctx.out.write(`Deleted blob: ${d}\n`);
  for (const s of snaps.removed) ctx.out.write(`Deleted snapshot: ${s}\n`);
  const total = blobs.freedBytes + snaps.freedBytes;
  ctx.out.write(`Total reclaimed space: ${humanSize(total)} (${total} bytes)${dryRun ? ' (dry run)' : ''}\n`);
  return 0;
}

export const imageCommands = { pull, push, images, inspect, tag, rmi, prune };
