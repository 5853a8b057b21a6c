// Image pull and unpack, Berth in-process vs skopeo / umoci as processes, interleaved in one
// run. node bench.mjs REGISTRY_HOST REPO:TAG WORKDIR RUNS  -> JSON on stdout
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ImageStore, OverlaySnapshotter, pullImage, unpackImageLayers } from '@berth/runtime';

const [host, repoTag, work, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const ref = `${host}/${repoTag}`;
const now = () => Number(process.hrtime.bigint()) / 1e9;
const times = { 'berth pull': [], 'skopeo copy': [], 'berth unpack': [], 'umoci unpack': [] };

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

async function berthPull(dir) {
  const store = await new ImageStore(dir).init();
  const t0 = now();
  const r = await pullImage(ref, { store, registry: { retries: 1 } });
  return { t: now() - t0, store, r };
}

function skopeoCopy(dir) {
  const t0 = now();
  sh('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}:bench`]);
  return now() - t0;
}

let keep; // the last Berth store and the last skopeo layout, for the unpack runs
for (let i = 0; i < runs; i++) {
  const order = i % 2 === 0 ? ['skopeo', 'berth'] : ['berth', 'skopeo'];
  for (const who of order) {
    const dir = join(work, `${who}-pull-${i}`);
    if (who === 'skopeo') times['skopeo copy'].push(skopeoCopy(dir));
    else {
      const p = await berthPull(dir);
      times['berth pull'].push(p.t);
      keep = { ...keep, berth: p };
    }
    if (i < runs - 1) rmSync(dir, { recursive: true, force: true });
    else if (who === 'skopeo') keep = { ...keep, layout: dir };
  }
}

const { store, r } = keep.berth;
const compressed = r.manifest.layers.reduce((n, l) => n + l.size, 0);
let uncompressed = 0;
for (let i = 0; i < runs; i++) {
  const order = i % 2 === 0 ? ['umoci', 'berth'] : ['berth', 'umoci'];
  for (const who of order) {
    const dir = join(work, `${who}-unpack-${i}`);
    if (who === 'umoci') {
      const t0 = now();
      sh('umoci', ['unpack', '--image', `${keep.layout}:bench`, dir]);
      times['umoci unpack'].push(now() - t0);
    } else {
      mkdirSync(dir, { recursive: true });
      const snapshotter = new OverlaySnapshotter({ root: dir });
      let bytes = 0;
      const t0 = now();
      await unpackImageLayers({
        layers: r.manifest.layers,
        diffIds: r.config.rootfs.diff_ids,
        openLayer: (d) => store.content.get(d),
        snapshotter,
        applyOptions: { onEntry: (h) => { bytes += h.size ?? 0; } },
      });
      times['berth unpack'].push(now() - t0);
      uncompressed = bytes;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(JSON.stringify({ ref, runs, layers: r.manifest.layers.length, compressedBytes: compressed, fileBytes: uncompressed, times }));
