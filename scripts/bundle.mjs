#!/usr/bin/env node
// Bundles each command-line entry point into one CommonJS file after `tsc -b`: Node's ESM
// loader spends tens of milliseconds resolving and linking a few hundred small files, which
// every berth-runtime invocation would pay, and even one ES module costs ~13 ms more to start
// than one CommonJS file here (docs/design/runtime-performance.md). koffi stays external (a
// native addon, loaded only by the commands that need it).
//
// Each bundle <name>.bundle.cjs gets an entry <name>.cjs (scripts/cached-entry.cjs) and a V8
// code cache <name>.bundle.cjs.v8cache holding the bytecode of all its functions.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, existsSync, rmSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const entries = [{ in: 'libs/runtime/dist/cli/main.js', out: 'libs/runtime/dist/berth-runtime' }];
for (const e of entries) {
  if (!existsSync(root + e.in)) throw new Error(`bundle: ${e.in} is missing; run tsc -b first`);
  const bundle = `${root}${e.out}.bundle.cjs`;
  rmSync(`${bundle}.v8cache`, { force: true });
  await build({
    entryPoints: [root + e.in],
    outfile: bundle,
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
  copyFileSync(`${root}scripts/cached-entry.cjs`, `${root}${e.out}.cjs`);
  chmodSync(`${root}${e.out}.cjs`, 0o755);
  // A child Node without NODE_OPTIONS: V8 rejects a cache made under other V8 flags.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  execFileSync(process.execPath, [`${root}scripts/make-code-cache.cjs`, bundle], { env, stdio: 'inherit' });
}
