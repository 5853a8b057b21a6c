import { encodeInitMessage } from './message.js';
import { startShim, waitForExit } from './shim-client.js';
import type { InitHandle, LaunchInitOptions } from './types.js';

/**
 * Creates a container's init process through the shim. Resolves once the init is fully set
 * up: with `execFifo` it then waits for `start` to open the FIFO, without it runs the program
 * at once. createRuntime hooks (`opts.hooks`) run while the init waits with its namespaces made
 * and before any mount. A failure anywhere (including the hooks) leaves no process behind and
 * throws BerthError with the shim's `<step>: <cause>` text.
 */
export async function launchInit(opts: LaunchInitOptions): Promise<InitHandle> {
  const message = encodeInitMessage(opts);
  const hooks = opts.hooks;
  const started = await startShim({
    shimPath: opts.shimPath,
    role: 'init',
    message,
    stdio: opts.stdio,
    detach: opts.detach,
    containerId: opts.containerId,
    ...(opts.spawner ? { spawner: opts.spawner } : {}),
    ...(opts.stateJson !== undefined ? { stateJson: opts.stateJson } : {}),
    ...(hooks ? { beforeGo: (pid: number) => hooks.createRuntime(pid) } : {}),
  });
  return {
    initPid: started.pid,
    initStartTime: started.startTime,
    shimStartTime: started.shimStartTime,
    shimPid: started.proc.pid,
    wait: () => waitForExit(started, opts.exitFile, opts.containerId),
  };
}
