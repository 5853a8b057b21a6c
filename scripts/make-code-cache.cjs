'use strict';
// Writes <bundle>.v8cache for scripts/cached-entry.cjs: the bundle compiled with every
// function eager (V8's --no-lazy, set only while compiling, so the cache's flag hash is that
// of a plain `node`), then serialized behind the header the entry checks.
const fs = require('node:fs');
const v8 = require('node:v8');
const vm = require('node:vm');
const { cacheKey, wrap } = require('./cached-entry.cjs');

const bundle = process.argv[2];
if (!bundle) throw new Error('usage: make-code-cache.cjs <bundle.cjs>');
v8.setFlagsFromString('--no-lazy');
const script = new vm.Script(wrap(fs.readFileSync(bundle, 'utf8')), { filename: bundle });
v8.setFlagsFromString('--lazy');
const data = script.createCachedData();
const tmp = `${bundle}.v8cache.${process.pid}`;
fs.writeFileSync(tmp, Buffer.concat([Buffer.from(cacheKey(fs.statSync(bundle)), 'latin1'), data]));
fs.renameSync(tmp, `${bundle}.v8cache`);
// Check it the way the entry will use it: a cache V8 rejects here is a build error.
const check = new vm.Script(wrap(fs.readFileSync(bundle, 'utf8')), { filename: bundle, cachedData: data });
if (check.cachedDataRejected) throw new Error(`make-code-cache: V8 rejected the cache it just made for ${bundle}`);
