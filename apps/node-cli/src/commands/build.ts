/** `build`: a Dockerfile build into the shared image store (libs/runtime image/build). */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildImage } from '@berth/runtime';
import { expectArgs, parseArgs, UsageError } from '../args.js';
import type { CliContext } from '../context.js';
import { shortDigest } from '../format.js';

async function build(ctx: CliContext, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'tag', short: 't', kind: 'string' },
    { name: 'file', short: 'f', kind: 'string' },
    { name: 'build-arg', kind: 'list' },
    { name: 'no-cache', kind: 'bool' },
    { name: 'cgroup-parent', kind: 'string' },
    { name: 'quiet', short: 'q', kind: 'bool' },
  ]);
  expectArgs('build', p.rest, 1, 1, '-t TAG [-f Dockerfile] [--build-arg K=V] [--no-cache] [-q] CONTEXT');
  const tag = p.strings.get('tag');
  if (!tag) throw new UsageError('build needs -t TAG (the name to record the image under)');
  const buildArgs: Record<string, string> = {};
  for (const a of p.lists.get('build-arg') ?? []) {
    const eq = a.indexOf('=');
    if (eq === 0) throw new UsageError(`invalid --build-arg ${JSON.stringify(a)}: the name is empty`);
    // `--build-arg K` takes K from berth-node's environment, as docker build does.
    if (eq < 0) {
      const v = ctx.env.env[a];
      if (v !== undefined) buildArgs[a] = v;
    } else {
      buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
    }
  }
  const quiet = p.bools.has('quiet');
  const containers = ctx.containers;
  const workDir = join(ctx.env.dataRoot, 'build-tmp');
  await mkdir(workDir, { recursive: true, mode: 0o700 });
  const file = p.strings.get('file');
  const parent = p.strings.get('cgroup-parent');
  const r = await buildImage({
    contextDir: p.rest[0] as string,
    ...(file !== undefined ? { dockerfile: file } : {}),
    tag,
    buildArgs,
    store: containers.images,
    snapshotter: containers.snapshots,
    runtime: containers.runtime,
    registry: await ctx.registry(),
    noCache: p.bools.has('no-cache'),
    ...(parent !== undefined ? { cgroupParent: parent } : {}),
    workDir,
    logger: ctx.env.logger,
    ...(quiet
      ? {}
      : {
          onStep: (e) => {
            if (e.status === 'running') ctx.out.write(`Step ${e.index}/${e.total} : ${e.instruction}\n`);
            else if (e.status === 'cached') ctx.out.write(` ---> Using cache${e.layer ? ` ${shortDigest(e.layer)}` : ''}\n`);
            else if (e.layer) ctx.out.write(` ---> ${shortDigest(e.layer)}\n`);
          },
          onOutput: (line, stream) => (stream === 'stderr' ? ctx.env.stderr : ctx.out).write(`${line}\n`),
        }),
  });
  ctx.out.write(quiet ? `${r.digest}\n` : `Successfully built ${r.digest}\nSuccessfully tagged ${r.name}\n`);
  return 0;
}

export const buildCommands = { build };
