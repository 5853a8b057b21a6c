#!/usr/bin/env node
// Bundles each command-line entry point into one CommonJS file after `tsc -b`: Node's ESM
// loader spends tens of milliseconds resolving and linking a few hundred small files, which
// every berth-runtime invocation would pay, and even one ES module costs ~13 ms more to start
// than one CommonJS file here (docs/design/runtime-performance.md). koffi stays external (a
// native addon, loaded only by the commands that need it).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const entries = [
  { in: 'libs/runtime/dist/cli/main.js', out: 'libs/runtime/dist/berth-runtime.cjs' },
];
for (const e of entries) {
  if (!existsSync(root + e.in)) throw new Error(`bundle: ${e.in} is missing; run tsc -b first`);
  await build({
    entryPoints: [root + e.in],
    outfile: root + e.out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['koffi'],
    sourcemap: 'linked',
    logLevel: 'warning',
    // The sources are ES modules that find files next to themselves by import.meta.url.
    define: { 'import.meta.url': '__berthImportMetaUrl' },
    banner: { js: "const __berthImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
}
