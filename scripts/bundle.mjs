#!/usr/bin/env node
// Bundles each command-line entry point into one ES module file after `tsc -b`: Node's ESM
// loader spends tens of milliseconds resolving and linking a few hundred small files, which
// every berth-runtime invocation would pay (see bench/runtime). koffi stays external (a native
// addon, loaded only by the commands that need it).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const entries = [
  { in: 'libs/runtime/dist/cli/main.js', out: 'libs/runtime/dist/berth-runtime.mjs' },
];
for (const e of entries) {
  if (!existsSync(root + e.in)) throw new Error(`bundle: ${e.in} is missing; run tsc -b first`);
  await build({
    entryPoints: [root + e.in],
    outfile: root + e.out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['koffi'],
    sourcemap: 'linked',
    logLevel: 'warning',
    // CommonJS dependencies bundled into ESM need a require().
    banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
  });
}
