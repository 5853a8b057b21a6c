import { spawn } from 'node:child_process';
import type { Hook, State } from '../spec/types.js';
import { causeText } from '../errors.js';
import { ContainerError } from './errors.js';

export type HookPhase = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

/**
 * Runs one OCI hook in the runtime namespace: `path` with `args` (args[0] is argv[0]), `env`
 * only, the container state JSON on stdin, killed after `timeout` seconds.
 * https://github.com/opencontainers/runtime-spec/blob/v1.2.0/config.md#posix-platform-hooks
 */
export function runHook(hook: Hook, state: State, phase: HookPhase): Promise<void> {
  return new Promise((resolve, reject) => {
    const [argv0, ...rest] = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
    const env: Record<string, string> = {};
    for (const kv of hook.env ?? []) {
      const i = kv.indexOf('=');
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const child = spawn(hook.path, rest, { argv0, env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    let timedOut = false;
    const timer =
      hook.timeout && hook.timeout > 0
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, hook.timeout * 1000)
        : undefined;
    const fail = (why: string, cause?: unknown) =>
      reject(
        new ContainerError('hook_failed', `failed to run ${phase} hook ${hook.path}: ${why}`, {
          path: hook.path,
          containerId: state.id,
          cause,
        }),
      );
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      fail(causeText(err), err);
    });
    child.stdin.on('error', () => {
      /* a hook that does not read its stdin is fine */
    });
    child.stdin.end(JSON.stringify(state));
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (timedOut) return fail(`timed out after ${hook.timeout}s`);
      if (code === 0) return resolve();
      const detail = stderr.trim() ? `: ${stderr.trim()}` : '';
      fail(signal ? `killed by ${signal}${detail}` : `exit status ${code}${detail}`);
    });
  });
}

/** Runs hooks in order; the first failure stops the rest and is thrown. */
export async function runHooks(hooks: Hook[] | undefined, state: State, phase: HookPhase): Promise<void> {
  for (const h of hooks ?? []) await runHook(h, state, phase);
}
