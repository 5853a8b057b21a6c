import type { LinuxDeviceCgroup, LinuxResources, Spec } from '../spec/types.js';
import { defaultDevices } from '../spec/index.js';

/**
 * Device cgroup rules a container gets whatever its spec says, as runc does: the spec's own rules
 * (usually "deny all" first), then access to the default device nodes, /dev/pts and /dev/ptmx,
 * mknod of any node (the node is useless without an allow rule), and each spec device.
 * https://github.com/opencontainers/runc/blob/main/libcontainer/specconv/spec_linux.go (AllowedDevices)
 */
export function effectiveResources(spec: Spec): LinuxResources | undefined {
  const resources = spec.linux?.resources;
  const userRules = resources?.devices;
  if (!userRules || userRules.length === 0) return resources;
  const allow = (type: 'c' | 'b', major: number | null, minor: number | null, access: string): LinuxDeviceCgroup => ({
    allow: true,
    type,
    major,
    minor,
    access,
  });
  const rules: LinuxDeviceCgroup[] = [
    ...userRules,
    allow('c', null, null, 'm'),
    allow('b', null, null, 'm'),
    ...defaultDevices().map((d) => allow(d.type === 'b' ? 'b' : 'c', d.major, d.minor, 'rwm')),
    allow('c', 136, null, 'rwm'), // /dev/pts/*
    allow('c', 5, 2, 'rwm'), // /dev/ptmx
    ...(spec.linux?.devices ?? [])
      .filter((d) => d.type === 'c' || d.type === 'b')
      .map((d) => allow(d.type as 'c' | 'b', d.major ?? null, d.minor ?? null, 'rwm')),
  ];
  return { ...resources, devices: rules };
}
