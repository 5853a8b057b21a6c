import { RestartPolicy_Mode, type ContainerSpec, type Probe, type Resources } from '@berth/proto';
import type { WorkloadSpec } from '../workloads/workloads.types.js';

type ProbeSpec = NonNullable<WorkloadSpec['livenessProbe']>;
type ResourceSpec = WorkloadSpec['resources']['requests'];

function resources(r: ResourceSpec): Resources {
  return { cpuMillis: r.cpu ?? 0, memoryBytes: r.memory ?? 0, pids: r.pids ?? 0, ephemeralStorageBytes: 0 };
}

function probe(p: ProbeSpec | undefined): Probe | undefined {
  if (!p) return undefined;
  const handler: Probe['handler'] = p.exec
    ? { $case: 'exec', value: { command: p.exec.command } }
    : p.httpGet
      ? { $case: 'httpGet', value: { path: p.httpGet.path, port: p.httpGet.port, scheme: p.httpGet.scheme } }
      : p.tcpSocket
        ? { $case: 'tcpSocket', value: { port: p.tcpSocket.port } }
        : undefined;
  return {
    handler,
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
    successThreshold: p.successThreshold,
  };
}

const MODES: Record<WorkloadSpec['restartPolicy']['mode'], RestartPolicy_Mode> = {
  Always: RestartPolicy_Mode.MODE_ALWAYS,
  OnFailure: RestartPolicy_Mode.MODE_ON_FAILURE,
  Never: RestartPolicy_Mode.MODE_NEVER,
};

/** The REST workload template as the wire ContainerSpec agents receive in Watch. */
export function toContainerSpec(s: WorkloadSpec): ContainerSpec {
  return {
    image: s.image,
    command: s.command,
    args: s.args,
    env: s.env,
    resources: { requests: resources(s.resources.requests), limits: resources(s.resources.limits) },
    ports: s.ports.map((p) => ({ containerPort: p.containerPort, hostPort: p.hostPort ?? 0, protocol: p.protocol, hostIp: p.hostIp ?? '' })),
    volumes: s.volumes.map((v) => ({ name: v.name ?? '', type: v.type, source: v.source ?? '', destination: v.destination, readOnly: v.readOnly })),
    restartPolicy: { mode: MODES[s.restartPolicy.mode], maxRetries: s.restartPolicy.maxRetries },
    livenessProbe: probe(s.livenessProbe),
    readinessProbe: probe(s.readinessProbe),
    workingDir: s.workingDir ?? '',
    user: s.user ?? '',
  };
}
