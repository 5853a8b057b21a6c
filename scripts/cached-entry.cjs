'use strict';
// Entry point of a bundled command-line tool (scripts/bundle.mjs copies this file next to each
// bundle as <name>.cjs). It runs <name>.bundle.cjs as Node's CommonJS loader would, but with the
// V8 code cache the build wrote for it (<name>.bundle.cjs.v8cache): the bytecode of every
// function, compiled eagerly at build time, so a short-lived command does not parse and compile
// the functions it calls (docs/design/runtime-performance.md, third round).
//
// The cache is used only when its header names this Node version and the bundle's exact size
// and mtime: V8 itself checks only the source length, so a rebuilt bundle of the same length
// would otherwise get stale bytecode. Any mismatch or a rejected cache just compiles normally.
const fs = require('node:fs');
const vm = require('node:vm');

/** The one-line header scripts/bundle.mjs writes before the cache bytes. */
function cacheKey(stat) {
  return `berth-v8-cache ${process.version} ${process.arch} ${stat.size} ${Math.trunc(stat.mtimeMs)}\n`;
}

/** Node's CommonJS wrapper around a module's source; a shebang line is not JavaScript inside it. */
function wrap(source) {
  const body = source.startsWith('#!') ? source.slice(source.indexOf('\n')) : source;
  return `(function (exports, require, module, __filename, __dirname) {${body}\n})`;
}

function readCache(bundle) {
  try {
    const data = fs.readFileSync(bundle + '.v8cache');
    const key = cacheKey(fs.statSync(bundle));
    return data.subarray(0, key.length).toString('latin1') === key ? data.subarray(key.length) : undefined;
  } catch {
    return undefined;
  }
}

function run(bundle) {
  const cachedData = readCache(bundle);
  const script = new vm.Script(wrap(fs.readFileSync(bundle, 'utf8')), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  const mod = { exports: {}, filename: bundle, id: '.', loaded: false };
  // This file's own require: it sits next to the bundle, so it resolves the bundle's few
  // requires (builtins, koffi) the same way, without loading node:module for createRequire.
  script.runInThisContext().call(mod.exports, mod.exports, require, mod, bundle, bundle.slice(0, bundle.lastIndexOf('/')));
}

if (require.main === module) run(__filename.replace(/\.cjs$/, '.bundle.cjs'));
module.exports = { cacheKey, wrap };
