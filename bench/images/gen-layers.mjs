// Writes one layer's worth of files into DIR: FILES big random files of BIG_MIB MiB and SMALL
// small random files of 2 KiB (random data: gzip cannot shrink it, as for real binaries).
// node gen-layers.mjs DIR BIG_FILES BIG_MIB SMALL_FILES
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const [dir, bigFiles, bigMib, smallFiles] = process.argv.slice(2);
mkdirSync(join(dir, 'small'), { recursive: true });
for (let i = 0; i < Number(bigFiles); i++) writeFileSync(join(dir, `big-${i}.bin`), randomBytes(Number(bigMib) * 1024 * 1024));
for (let i = 0; i < Number(smallFiles); i++) writeFileSync(join(dir, 'small', `f-${i}`), randomBytes(2048));
