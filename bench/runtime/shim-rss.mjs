// Resident memory of every berth-shim supervising a container under ROOT:
// node shim-rss.mjs ROOT -> {"count", "rssKiB": [...], "pssKiB": [...]}
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2];
const rss = [];
const pss = [];
for (const id of readdirSync(root)) {
  let state;
  try {
    state = JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8'));
  } catch {
    continue;
  }
  const status = readFileSync(`/proc/${state.shimPid}/status`, 'utf8');
  rss.push(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]));
  const rollup = readFileSync(`/proc/${state.shimPid}/smaps_rollup`, 'utf8');
  pss.push(Number(/Pss:\s+(\d+)/.exec(rollup)?.[1]));
}
process.stdout.write(JSON.stringify({ count: rss.length, rssKiB: rss, pssKiB: pss }) + '\n');
