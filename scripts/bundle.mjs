#!/usr/bin/env node
// Bundles each command-line entry point into one CommonJS file after `tsc -b`: Node's ESM
// loader spends tens of milliseconds resolving and linking a few hundred small files, which
// every berth-runtime invocation would pay, and even one ES module costs ~13 ms more to start
// than one CommonJS file here (docs/design/runtime-performance.md). koffi stays external (a
// native addon, loaded only by the commands that need it).
//
// Rarely used builtins are loaded on first use (LAZY_BUILTINS below).
//
// Each bundle <name>.bundle.cjs gets an entry <name>.cjs (scripts/cached-entry.cjs) and a V8
// code cache <name>.bundle.cjs.v8cache holding the bytecode of all its functions.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, existsSync, rmSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;

/**
 * Builtins a bundle loads only when it first uses one of their exports, not when it starts:
 * child_process brings net, dgram and the streams along (~4 ms of every berth-runtime command
 * here, though `create` and `run` use none of it once the native front end started the shim),
 * fs/promises brings readline and fs watchers, node:module the ESM loader (~1.5 ms together).
 */
const LAZY_BUILTINS = ['node:child_process', 'node:net', 'node:fs/promises', 'node:module'];

/**
 * Replaces each listed builtin with a module of getters, one per export (listed here at build
 * time), that requires the builtin on first access. esbuild reads a CommonJS module's exports
 * through property accesses at the call site, so nothing else changes.
 */
function lazyBuiltins(names) {
  return {
    name: 'lazy-builtins',
    setup(b) {
      const filter = new RegExp(`^(${names.map((n) => n.replace(/[/]/g, '\\/')).join('|')})$`);
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'lazy-builtin' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
        const keys = Object.keys(await import(args.path)).filter((k) => k !== 'default');
        const getters = keys.map((k) => `  get ${JSON.stringify(k)}() { return load()[${JSON.stringify(k)}]; },`);
        return {
          loader: 'js',
          contents: [
            `let mod;`,
            // without "node:": this filter must not catch the real builtin
            `const load = () => (mod ??= require(${JSON.stringify(args.path.slice('node:'.length))}));`,
            `module.exports = {`,
            ...getters,
            `};`,
          ].join('\n'),
        };
      });
    },
  };
}
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
    plugins: [lazyBuiltins(LAZY_BUILTINS)],
    sourcemap: 'linked',
    logLevel: 'warning',
    // The sources are ES modules that find files next to themselves by import.meta.dirname
    // (the bundle's own directory here) or import.meta.url (made on first use: pathToFileURL
    // cost every command ~0.4 ms at start-up).
    define: { 'import.meta.url': '__berthImportMeta.url', 'import.meta.dirname': '__dirname' },
    banner: { js: "const __berthImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  });
  copyFileSync(`${root}scripts/cached-entry.cjs`, `${root}${e.out}.cjs`);
  chmodSync(`${root}${e.out}.cjs`, 0o755);
  // A child Node without NODE_OPTIONS: V8 rejects a cache made under other V8 flags.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  execFileSync(process.execPath, [`${root}scripts/make-code-cache.cjs`, bundle], { env, stdio: 'inherit' });
}
