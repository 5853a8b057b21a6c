// Berth's library API in-process, the way berth-agent calls it (no Node start per container).
// node inprocess.mjs run|lifecycle BUNDLE ROOT RUNS        -> {"name", "times": [seconds...]}
// node inprocess.mjs density BUNDLE ROOT RUNS COUNT        -> same, one time per batch of COUNT
import { Runtime } from '@berth/runtime';

const [mode, bundle, root, runsArg, countArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 30);
const count = Number(countArg ?? 50);
const rt = new Runtime({ root });
const times = [];
const now = () => Number(process.hrtime.bigint()) / 1e9;

async function once() {
  if (mode === 'run') {
    await rt.run({ id: 'bench', bundle, stdio: 'inherit' });
  } else if (mode === 'lifecycle') {
    await rt.create({ id: 'b', bundle });
    await rt.start('b');
    await rt.delete('b', { force: true });
  } else if (mode === 'density') {
    await Promise.all(Array.from({ length: count }, (_, i) => rt.run({ id: `d${i}`, bundle, detach: true })));
  } else throw new Error(`unknown mode ${mode}`);
}

async function cleanupDensity() {
  await Promise.all(Array.from({ length: count }, (_, i) => rt.delete(`d${i}`, { force: true }).catch(() => undefined)));
}

for (let i = 0; i < 3 && mode !== 'density'; i++) await once(); // warm-up, as hyperfine --warmup 3
for (let i = 0; i < runs; i++) {
  if (mode === 'density') await cleanupDensity();
  const t0 = now();
  await once();
  times.push(now() - t0);
}
if (mode === 'density') await cleanupDensity();
process.stdout.write(JSON.stringify({ name: 'berth (library, in-process)', times }) + '\n');
