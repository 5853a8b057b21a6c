// Turns one bench/runtime/run.sh run into a table of medians and ratios:
// node report.mjs WORKDIR OUT-PREFIX  (writes OUT-PREFIX.json and OUT-PREFIX.md, prints the md)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [work, outPrefix] = process.argv.slice(2);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const read = (f) => JSON.parse(readFileSync(join(work, f), 'utf8'));
const cases = [
  ['run /bin/true to exit', 'run.json', 'lib-run.json'],
  ['create + start + delete', 'lifecycle.json', 'lib-lifecycle.json'],
  ['50 detached sleep containers', 'density.json', 'lib-density.json'],
];
const result = { date: new Date().toISOString(), cases: [] };
let md = `# Runtime benchmark (${result.date})\n\nMedians in ms; ratio = median / crun's median (below 1.0 is faster than crun); vs runc likewise.\n`;
for (const [title, hf, lib] of cases) {
  const rows = [read(lib), ...read(hf).results.map((r) => ({ name: r.command, times: r.times }))];
  const med = Object.fromEntries(rows.map((r) => [r.name, median(r.times) * 1000]));
  const crun = med.crun;
  const runc = med.runc;
  md += `\n## ${title}\n\n| runtime | median ms | vs crun | vs runc |\n|---|---:|---:|---:|\n`;
  for (const r of rows) md += `| ${r.name} | ${med[r.name].toFixed(1)} | ${(med[r.name] / crun).toFixed(2)} | ${(med[r.name] / runc).toFixed(2)} |\n`;
  result.cases.push({ title, medianMs: med });
}
const rss = read('rss.json');
const avg = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
md += `\n## Supervisor memory\n\n${rss.count} berth-shim supervisors: mean RSS ${(avg(rss.rssKiB) / 1024).toFixed(2)} MB, mean PSS ${(avg(rss.pssKiB) / 1024).toFixed(2)} MB (Podman's conmon: ~2 MB RSS).\n`;
result.shim = { count: rss.count, meanRssKiB: avg(rss.rssKiB), meanPssKiB: avg(rss.pssKiB) };
writeFileSync(`${outPrefix}.json`, JSON.stringify(result, null, 2));
writeFileSync(`${outPrefix}.md`, md);
process.stdout.write(md);
