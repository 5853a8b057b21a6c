import type { FlagSpecs, ParsedArgs } from '../args.js';
import { ApiClient, type FetchFn } from '../client.js';
import { configPath, normalizeServer, readConfig, type CliConfig } from '../config.js';
import { CliError } from '../errors.js';
import type { OutputFormat } from '../output.js';

/** The process edges a command may touch; tests pass fakes. */
export interface Io {
  stdout(text: string | Uint8Array): void;
  stderr(text: string | Uint8Array): void;
  /** Live stdin, for `berth exec -i`. */
  stdin?: NodeJS.ReadableStream;
  /** Switches a terminal stdin into or out of raw mode (exec -t). */
  setRawMode?: (raw: boolean) => void;
  /** Whole stdin as text (for --password-stdin and `-f -`). */
  readStdin(): Promise<string>;
  /** Reads a line from the terminal; `secret` turns echo off. Undefined when stdin is not a TTY. */
  prompt?: (question: string, secret: boolean) => Promise<string>;
  isTTY: boolean;
  /** The terminal's size when stdout is one (exec -t tells the remote pty). */
  terminalSize?: () => { columns: number; rows: number } | undefined;
}

export interface GlobalOptions {
  server?: string;
  token?: string;
  format: OutputFormat;
}

export interface Context {
  io: Io;
  globals: GlobalOptions;
  env: Readonly<Record<string, string | undefined>>;
  homedir: string;
  fetch: FetchFn;
  /** Milliseconds since the epoch (injectable for tests). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface Command {
  /** Words after `berth`, e.g. ['workloads', 'rollout', 'status']. */
  path: readonly string[];
  /** Arguments and flags after the path, for help and usage errors. */
  usage: string;
  summary: string;
  flags: FlagSpecs;
  /** Resolves to the exit status when it is not 0 (exec passes the remote one on). */
  run(ctx: Context, args: ParsedArgs): Promise<void | number>;
}

export function configFile(ctx: Context): string {
  return configPath(ctx.env, ctx.homedir);
}

/**
 * The server and credentials to use: --server over the config file; --token, then
 * BERTH_TOKEN, then the stored token or session.
 */
export async function resolveTarget(ctx: Context): Promise<{ server: string; config: CliConfig | undefined; token?: string; session?: string }> {
  const config = await readConfig(configFile(ctx));
  const rawServer = ctx.globals.server ?? config?.server;
  if (rawServer === undefined) throw new CliError("no console configured: run 'berth login --server URL' or pass --server");
  const server = normalizeServer(rawServer);
  const token = ctx.globals.token ?? (ctx.env['BERTH_TOKEN'] || undefined);
  if (token !== undefined) return { server, config, token };
  // Stored credentials belong to the stored server; do not send them elsewhere.
  const sameServer = config !== undefined && normalizeServer(config.server) === server;
  if (sameServer && config.token) return { server, config, token: config.token };
  if (sameServer && config.session) return { server, config, session: config.session };
  return { server, config };
}

export async function apiClient(ctx: Context): Promise<ApiClient> {
  const t = await resolveTarget(ctx);
  if (t.token === undefined && t.session === undefined) {
    throw new CliError(`not logged in to ${t.server}: run 'berth login --server ${t.server}' or set BERTH_TOKEN`);
  }
  return new ApiClient(t.server, t.token !== undefined ? { token: t.token } : { session: t.session! }, ctx.fetch);
}

/** URL path segment for a user-given name. */
export function seg(name: string): string {
  return encodeURIComponent(name);
}
