// node report.mjs RESULT.json OUT-PREFIX: medians, MB/s and ratios as Markdown (+ JSON copy).
import { readFileSync, writeFileSync } from 'node:fs';

const [input, outPrefix] = process.argv.slice(2);
const d = JSON.parse(readFileSync(input, 'utf8'));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const MB = 1e6;
const med = Object.fromEntries(Object.entries(d.times).map(([k, v]) => [k, median(v)]));
const row = (name, bytes, peer) =>
  `| ${name} | ${med[name].toFixed(2)} | ${(Math.min(...d.times[name])).toFixed(2)} | ${(Math.max(...d.times[name])).toFixed(2)} | ${(bytes / MB / med[name]).toFixed(1)} | ${(med[name] / med[peer]).toFixed(2)} |`;
const date = new Date().toISOString();
const md = `# Image benchmark (${date})

Image \`${d.ref}\`: ${d.layers} gzip layers, ${(d.compressedBytes / MB).toFixed(1)} MB compressed,
${(d.fileBytes / MB).toFixed(1)} MB of file data (random, incompressible). ${d.runs} runs per tool,
interleaved (alternating which goes first). Times in seconds; ratio = median / the peer's median
(below 1.00: Berth is faster). Pull MB/s over compressed bytes, unpack MB/s over file bytes.

## Pull from docker-registry on 127.0.0.1 (fresh store / fresh OCI layout each run)

| tool | median s | min s | max s | MB/s | ratio vs skopeo |
|---|---:|---:|---:|---:|---:|
${row('berth pull', d.compressedBytes, 'skopeo copy')}
${row('skopeo copy', d.compressedBytes, 'skopeo copy')}

## Unpack all layers into a directory tree

| tool | median s | min s | max s | MB/s | ratio vs umoci |
|---|---:|---:|---:|---:|---:|
${row('berth unpack', d.fileBytes, 'umoci unpack')}
${row('umoci unpack', d.fileBytes, 'umoci unpack')}

Berth: pullImage in-process (ContentStore: verify while streaming, fsync, rename) and
unpackImageLayers (applyLayer per layer into OverlaySnapshotter snapshots). Peers:
\`skopeo copy docker://... oci:DIR\` and \`umoci unpack --image LAYOUT:TAG BUNDLE\` (as processes).
`;
writeFileSync(`${outPrefix}.json`, JSON.stringify({ date, ...d, medians: med }, null, 2));
writeFileSync(`${outPrefix}.md`, md);
process.stdout.write(md);
