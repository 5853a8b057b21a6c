#!/usr/bin/env node
import { homedir } from 'node:os';
import { run } from './cli.js';
import type { Io } from './commands/context.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from the terminal; with `secret`, typed characters are not echoed. */
function prompt(question: string, secret: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let line = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      if (secret) stdin.setRawMode(false);
      stdin.pause();
      if (secret) process.stderr.write('\n');
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    if (secret) stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

const io: Io = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  readStdin,
  prompt,
  stdin: process.stdin,
  setRawMode: (raw) => {
    if (process.stdin.isTTY) process.stdin.setRawMode(raw);
  },
  isTTY: process.stdin.isTTY === true,
  terminalSize: () => (process.stdout.isTTY ? { columns: process.stdout.columns, rows: process.stdout.rows } : undefined),
};

const code = await run(process.argv.slice(2), {
  io,
  env: process.env,
  homedir: homedir(),
  fetch,
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
});
// Exit now: a paused stdin (exec -i whose command ended first) must not keep the process alive.
// stdout/stderr writes to files, pipes and terminals are synchronous on Linux, so nothing is lost.
process.exit(code);
