/**
 * berth-node end to end: a real docker-registry on loopback, a multi-layer busybox image (with
 * a deleted file and a replaced directory) built by umoci and pushed by skopeo, then pull /
 * images / run / ps / rm / tag / push / sign / verify / rmi / prune through bin/berth-node.
 * Independent tools (skopeo) cross-check what Berth pushes. Root only; skips otherwise.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateSigningKeyPair } from '@berth/runtime';
import { containerTestSkip } from '../fixtures/busybox.js';
import { testCgroupParent, type TestCgroupParent } from '../fixtures/cgroups.js';
import { runBin } from '../fixtures/cli.js';
import { buildBusyboxImage, skopeoInspect, skopeoInspectRaw, skopeoPush, type BusyboxImage } from '../fixtures/images.js';
import { registryTestSkip, startRegistry, type TestRegistry } from '../fixtures/registry.js';

const run = promisify(execFile);
const skip = containerTestSkip() || registryTestSkip();
let reg: TestRegistry;
let img: BusyboxImage;
let dataRoot: string;
let stateRoot: string;
let work: string;
let cg: TestCgroupParent;
let ref: string;
let skopeoDigest: string;
let skopeoLayers: string[];

function node(args: string[], input?: string) {
  return runBin('berth-node', ['--data-root', dataRoot, '--state-root', stateRoot, ...args], { timeoutMs: 120_000, ...(input !== undefined ? { input } : {}) });
}

function runArgs(name: string, ...rest: string[]): string[] {
  return ['run', '--name', name, '--cgroup-parent', cg.prefix, ...rest];
}

async function mountsUnderDataRoot(): Promise<string[]> {
  return (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(dataRoot));
}

async function snapshotNames(): Promise<string[]> {
  const file = join(dataRoot, 'snapshots', 'metadata.json');
  if (!existsSync(file)) return [];
  return Object.keys((JSON.parse(await readFile(file, 'utf8')) as { snapshots: Record<string, unknown> }).snapshots);
}

/** Layer snapshots made by unpacking pulled images (labelled with their diff id). */
async function layerSnapshotNames(): Promise<string[]> {
  const file = join(dataRoot, 'snapshots', 'metadata.json');
  const db = JSON.parse(await readFile(file, 'utf8')) as { snapshots: Record<string, { labels: Record<string, string> }> };
  return Object.entries(db.snapshots).filter(([, v]) => v.labels['berth.io/diff-id'] !== undefined).map(([k]) => k);
}

/** Nothing of container `id` may remain: runtime state, bundle, RW snapshot, mounts, cgroups. */
async function assertGone(id: string): Promise<void> {
  assert.equal(existsSync(join(stateRoot, id)), false, 'runtime state left');
  assert.equal(existsSync(join(dataRoot, 'bundles', id)), false, 'bundle left');
  assert.ok(!(await snapshotNames()).includes(`container-${id}`), 'RW snapshot left');
  assert.deepEqual(await mountsUnderDataRoot(), [], 'mounts left');
  for (const d of cg.dirs(id)) assert.equal(existsSync(d), false, `cgroup ${d} left`);
}

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), 'berth-node-test-'));
  dataRoot = join(work, 'data');
  stateRoot = join(work, 'state');
  cg = testCgroupParent();
  reg = await startRegistry();
  img = await buildBusyboxImage({ dir: join(work, 'image'), layers: 3, payloadBytes: 2 * 1024 * 1024, env: ['PATH=/bin', 'GREETING=hello'], cmd: ['/bin/sh', '-c', 'echo default'] });
  // What the image config says about the user and working directory (umoci edits the config).
  await run('umoci', ['config', '--image', `${img.layout}:${img.tag}`, '--config.user', '1000:1000', '--config.workingdir', '/data', '--config.label', 'team=berth', '--config.exposedports', '8080/tcp', '--config.stopsignal', 'SIGQUIT']);
  ref = `${reg.host}/test/busybox:1`;
  await skopeoPush(img.ociRef, ref);
  const inspected = await skopeoInspect(ref);
  skopeoDigest = inspected.Digest;
  skopeoLayers = inspected.Layers;
});

after(async () => {
  if (skip) return;
  try {
    const left = await node(['ps', '-a', '-q']);
    for (const id of left.stdout.split('\n').filter(Boolean)) await node(['rm', '-f', id]);
  } finally {
    cg.cleanup();
    await reg.stop();
    await img.cleanup();
    await rm(work, { recursive: true, force: true });
  }
});

test('pull shows per-layer progress; images lists the digest skopeo reports', { skip, timeout: 120_000 }, async () => {
  const r = await node(['pull', ref]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(skopeoLayers.length, 3);
  for (const l of skopeoLayers) assert.match(r.stdout, new RegExp(`^${l.slice(7, 19)}: Download complete`, 'm'), r.stdout);
  assert.match(r.stdout, new RegExp(`^Digest: ${skopeoDigest}$`, 'm'));
  const again = await node(['pull', ref]);
  assert.match(again.stdout, /Already exists/);
  assert.match(again.stdout, /Image is up to date/);
  const table = await node(['images']);
  assert.match(table.stdout, /^REPOSITORY\s+TAG\s+DIGEST\s+SIZE\s+CREATED$/m);
  assert.match(table.stdout, new RegExp(`^${reg.host}/test/busybox\\s+1\\s+${skopeoDigest}\\s+3\\.\\d+MB\\s+\\d+ seconds? ago$`, 'm'));
  const manifest = JSON.parse(await skopeoInspectRaw(ref)) as { config: { size: number }; layers: Array<{ size: number }> };
  const size = manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
  const json = JSON.parse((await node(['images', '--format', 'json'])).stdout) as Array<{ name: string; digest: string; size: number }>;
  assert.deepEqual(json.map((i) => [i.name, i.digest, i.size]), [[ref, skopeoDigest, size]]);
});

test('run --rm: exit code passed through, deleted file absent, image env/workdir/user honoured, nothing left', { skip, timeout: 120_000 }, async () => {
  const script = 'cat /etc/hostname; test -e /etc/motd || echo motd-gone; ls /data/a; id -u; id -g; pwd; echo $GREETING; exit 3';
  const r = await node([...runArgs('fg1', '--rm'), ref, 'sh', '-c', script]);
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['berth', 'motd-gone', 'new', '1000', '1000', '/data', 'hello']);
  await assertGone('fg1');
  assert.equal((await node(['ps', '-a', '-q'])).stdout, '');
});

test('run overrides: -u, -w, -e, --entrypoint; image config recorded as annotations; kept until rm', { skip, timeout: 120_000 }, async () => {
  const r = await node([...runArgs('fg2', '-u', 'root', '-w', '/srv', '-e', 'GREETING=override', '-e', 'EXTRA=1', '--entrypoint', '/bin/sh'), ref, '-c', 'id -u; pwd; echo $GREETING $EXTRA $HOME']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['0', '/srv', 'override 1 /root']);
  const spec = JSON.parse(await readFile(join(dataRoot, 'bundles', 'fg2', 'config.json'), 'utf8')) as { annotations: Record<string, string> };
  assert.equal(spec.annotations.team, 'berth');
  assert.equal(spec.annotations['org.opencontainers.image.exposedPorts'], '8080/tcp');
  assert.equal(spec.annotations['org.opencontainers.image.stopSignal'], 'SIGQUIT');
  const ps = await node(['ps', '-a']);
  assert.match(ps.stdout, /^fg2\s+.*Exited \(0\)/m);
  assert.equal((await node(['ps'])).stdout.split('\n').filter(Boolean).length, 1, 'ps without -a lists running ones only');
  const rmr = await node(['rm', 'fg2']);
  assert.equal(rmr.code, 0, rmr.stderr);
  await assertGone('fg2');
});

test('errors are one line naming what was wrong, with a non-zero exit', { skip, timeout: 60_000 }, async () => {
  const bad = await node([...runArgs('bad1', '--rm', '-u', 'ghost'), ref, 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^berth-node: failed to resolve user "ghost": no user named "ghost" in the image's \/etc\/passwd\n$/);
  await assertGone('bad1');
  const noexec = await node([...runArgs('bad2'), ref, 'no-such-program']);
  assert.equal(noexec.code, 125);
  assert.match(noexec.stderr, /^berth-node: failed to create container bad2: .*no-such-program.*\n$/);
  await assertGone('bad2');
  const missing = await node(['rm', 'nope']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'berth-node: failed to find container nope: no such container\n');
  const usage = await node(['run', '--bogus', ref]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^berth-node: failed to parse command line: unknown flag: --bogus\n$/);
});

test('detached run shows in ps; rm needs -f while it runs; rm -f leaves no process', { skip, timeout: 120_000 }, async () => {
  const r = await node([...runArgs('bg1', '-d'), ref, 'busybox', 'sleep', '300']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'bg1');
  const list = JSON.parse((await node(['ps', '--format', 'json'])).stdout) as Array<{ id: string; status: string; pid: number }>;
  const bg = list.find((c) => c.id === 'bg1');
  assert.equal(bg?.status, 'running');
  assert.ok(bg && bg.pid > 0 && existsSync(`/proc/${bg.pid}`));
  const refused = await node(['rm', 'bg1']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^berth-node: failed to remove container bg1: it is running; stop it first or force the removal\n$/);
  assert.equal((await node(['rm', '-f', 'bg1'])).code, 0);
  assert.equal(existsSync(`/proc/${bg.pid}`), false, 'container process still alive');
  await assertGone('bg1');
});

test('tag and push to another repository: skopeo sees the same digest', { skip, timeout: 120_000 }, async () => {
  const target = `${reg.host}/other/copy:2`;
  assert.equal((await node(['tag', ref, target])).code, 0);
  const p = await node(['push', target]);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, new RegExp(`digest: ${skopeoDigest}`));
  const seen = await skopeoInspect(target);
  assert.equal(seen.Digest, skopeoDigest);
  assert.deepEqual(seen.Layers, skopeoLayers);
});

test('sign and verify round trip; another key does not verify', { skip, timeout: 60_000 }, async () => {
  const good = generateSigningKeyPair();
  const other = generateSigningKeyPair();
  await writeFile(join(work, 'cosign.key'), good.privateKeyPem);
  await writeFile(join(work, 'cosign.pub'), good.publicKeyPem);
  await writeFile(join(work, 'other.pub'), other.publicKeyPem);
  const s = await node(['sign', '--key', join(work, 'cosign.key'), ref]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, new RegExp(`Signed ${skopeoDigest}`));
  const v = await node(['verify', '--key', join(work, 'cosign.pub'), ref]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /^Verified OK: /m);
  const bad = await node(['verify', '--key', join(work, 'other.pub'), ref]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^berth-node: failed to verify .*no valid signature/);
});

test('login checks credentials against an htpasswd registry and push then uses them', { skip, timeout: 120_000 }, async () => {
  const secured = await startRegistry({ htpasswd: { username: 'alice', password: 's3cret' } });
  try {
    const wrong = await node(['login', '-u', 'alice', '--password-stdin', secured.host], 'nope\n');
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /^berth-node: failed to log in to /);
    const denied = await node(['push', ref, `${secured.host}/private/bb:1`]);
    assert.notEqual(denied.code, 0, 'push without credentials must fail');
    const ok = await node(['login', '-u', 'alice', '--password-stdin', secured.host], 's3cret\n');
    assert.equal(ok.code, 0, ok.stderr);
    const auth = JSON.parse(await readFile(join(dataRoot, 'auth.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(Buffer.from(auth.auths[secured.host]?.auth ?? '', 'base64').toString(), 'alice:s3cret');
    const pushed = await node(['push', ref, `${secured.host}/private/bb:1`]);
    assert.equal(pushed.code, 0, pushed.stderr);
  } finally {
    await secured.stop();
  }
});

test('build from the pulled image (RUN, deletion, ENV, WORKDIR, CMD), run it, push it', { skip, timeout: 180_000 }, async () => {
  const ctxDir = join(work, 'context');
  await mkdir(ctxDir, { recursive: true });
  await writeFile(join(ctxDir, 'note.txt'), 'copied\n');
  await writeFile(
    join(ctxDir, 'Dockerfile'),
    [
      `FROM ${ref}`,
      'USER root',
      'RUN echo built > /built.txt && rm /etc/hostname',
      'COPY note.txt /note.txt',
      'ENV STAGE=two',
      'WORKDIR /work',
      'CMD ["sh", "-c", "cat /built.txt /note.txt; echo $STAGE; pwd; test -e /etc/hostname || echo hostname-gone"]',
      '',
    ].join('\n'),
  );
  const built = `${reg.host}/test/built:1`;
  const b = await node(['build', '-t', built, '--cgroup-parent', cg.prefix, ctxDir]);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  assert.match(b.stdout, /^Step 1\/7 : FROM /m);
  assert.match(b.stdout, new RegExp(`Successfully tagged ${built.replace(/[.]/g, '\\.')}`));
  const r = await node([...runArgs('built1', '--rm'), built]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['built', 'copied', 'two', '/work', 'hostname-gone']);
  await assertGone('built1');
  const p = await node(['push', built]);
  assert.equal(p.code, 0, p.stderr);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(p.stdout)?.[1];
  assert.equal((await skopeoInspect(built)).Digest, digest);
  assert.equal((await node(['rmi', built])).code, 0);
});

test('rmi + prune free blobs and layer snapshots', { skip, timeout: 120_000 }, async () => {
  const layers = await layerSnapshotNames();
  assert.equal(layers.length, 3, `layer snapshots of the pulled image: ${layers.join(', ')}`);
  const r = await node(['rmi', ref, `${reg.host}/other/copy:2`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Untagged: /);
  const p = await node(['prune']);
  assert.equal(p.code, 0, p.stderr);
  const freed = Number(/Total reclaimed space: \S+ \((\d+) bytes\)/.exec(p.stdout)?.[1]);
  assert.ok(freed > 2 * 1024 * 1024, `freed ${freed} bytes:\n${p.stdout}`);
  const left = await snapshotNames();
  for (const l of layers) assert.ok(!left.includes(l), `layer snapshot ${l} survived prune`);
  assert.deepEqual(left, [], 'built layers are pruned too once no image needs them');
  for (const d of [skopeoDigest, ...skopeoLayers]) assert.equal(existsSync(join(dataRoot, 'images', 'blobs', 'sha256', d.slice(7))), false, `blob ${d} survived prune`);
  assert.equal((await node(['images', '-q'])).stdout, '');
  assert.deepEqual(await mountsUnderDataRoot(), []);
});
