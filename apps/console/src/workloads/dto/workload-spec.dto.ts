import { z } from 'zod';
import { labelsSchema } from '../../common/validation.js';

/** cpu in millicores, memory in bytes, pids a count; all optional, none negative. */
const resources = z.strictObject({
  cpu: z.number().int().min(0, 'must not be negative').max(1_000_000).optional(),
  memory: z.number().int().min(0, 'must not be negative').max(2 ** 50).optional(),
  pids: z.number().int().min(0, 'must not be negative').max(4_194_304).optional(),
});

const port = z.number().int().min(1).max(65535);

const probe = z
  .strictObject({
    exec: z.strictObject({ command: z.array(z.string().min(1)).min(1) }).optional(),
    httpGet: z.strictObject({ path: z.string().startsWith('/').default('/'), port, scheme: z.enum(['http', 'https']).default('http') }).optional(),
    tcpSocket: z.strictObject({ port }).optional(),
    initialDelaySeconds: z.number().int().min(0).max(3600).default(0),
    periodSeconds: z.number().int().min(1).max(3600).default(10),
    timeoutSeconds: z.number().int().min(1).max(3600).default(1),
    failureThreshold: z.number().int().min(1).max(100).default(3),
    successThreshold: z.number().int().min(1).max(100).default(1),
  })
  .superRefine((p, ctx) => {
    const n = [p.exec, p.httpGet, p.tcpSocket].filter((h) => h !== undefined).length;
    if (n !== 1) ctx.addIssue({ code: 'custom', message: `exactly one of exec, httpGet, tcpSocket is required (got ${n})`, path: [] });
  });

const intOrPercent = z.union([z.number().int().min(0), z.string().regex(/^(100|[1-9]?[0-9])%$/, 'a percentage such as "25%"')]);

/** The workload template: one container plus placement and rollout settings. */
export const workloadSpecSchema = z
  .strictObject({
    image: z
      .string()
      .min(1, 'is required')
      .max(512)
      .regex(/^[a-z0-9][a-z0-9._\-/:@]*$/, 'not an image reference (lowercase registry/repository[:tag][@sha256:digest])'),
    command: z.array(z.string()).max(256).default([]),
    args: z.array(z.string()).max(1024).default([]),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid environment variable name'), z.string().max(32768)).default({}),
    workingDir: z.string().startsWith('/').optional(),
    user: z.string().regex(/^\d+(:\d+)?$/, 'must be "uid" or "uid:gid"').optional(),
    resources: z.strictObject({ requests: resources.default({}), limits: resources.default({}) }).default({ requests: {}, limits: {} }),
    ports: z
      .array(
        z.strictObject({
          containerPort: port,
          hostPort: port.optional(),
          protocol: z.enum(['tcp', 'udp']).default('tcp'),
          hostIp: z.ipv4().or(z.ipv6()).optional(),
        }),
      )
      .max(64)
      .default([]),
    volumes: z
      .array(
        z.strictObject({
          type: z.enum(['volume', 'bind', 'tmpfs']),
          name: z.string().min(1).max(63).optional(),
          source: z.string().startsWith('/').optional(),
          destination: z.string().startsWith('/', 'must be an absolute path'),
          readOnly: z.boolean().default(false),
        }),
      )
      .max(64)
      .default([]),
    restartPolicy: z.strictObject({ mode: z.enum(['Always', 'OnFailure', 'Never']), maxRetries: z.number().int().min(0).default(0) }).default({ mode: 'Always', maxRetries: 0 }),
    livenessProbe: probe.optional(),
    readinessProbe: probe.optional(),
    nodeSelector: labelsSchema.default({}),
    updateStrategy: z.strictObject({ maxUnavailable: intOrPercent.default(0), maxSurge: intOrPercent.default(1) }).default({ maxUnavailable: 0, maxSurge: 1 }),
    /** Move replicas off nodes that stop being ready. */
    rescheduleOnNodeFailure: z.boolean().default(true),
  })
  .superRefine((s, ctx) => {
    const { requests, limits } = s.resources;
    for (const k of ['cpu', 'memory', 'pids'] as const) {
      const req = requests[k];
      const lim = limits[k];
      if (req !== undefined && lim !== undefined && lim > 0 && lim < req) {
        ctx.addIssue({ code: 'custom', path: ['resources', 'limits', k], message: `limit ${lim} is below the request ${req}` });
      }
    }
    if (s.resources.limits.memory !== undefined && s.resources.limits.memory > 0 && s.resources.limits.memory < 4 * 1024 * 1024) {
      ctx.addIssue({ code: 'custom', path: ['resources', 'limits', 'memory'], message: 'below the 4 MiB a container needs' });
    }
    const zero = (v: number | string) => v === 0 || v === '0%';
    if (zero(s.updateStrategy.maxSurge) && zero(s.updateStrategy.maxUnavailable)) {
      ctx.addIssue({ code: 'custom', path: ['updateStrategy'], message: 'maxSurge and maxUnavailable cannot both be 0' });
    }
    s.volumes.forEach((v, i) => {
      if (v.type === 'bind' && v.source === undefined) ctx.addIssue({ code: 'custom', path: ['volumes', i, 'source'], message: 'required for a bind mount' });
      if (v.type === 'volume' && v.name === undefined) ctx.addIssue({ code: 'custom', path: ['volumes', i, 'name'], message: 'required for a named volume' });
    });
    const seen = new Map<string, number>();
    s.ports.forEach((p, i) => {
      if (p.hostPort === undefined) return;
      const key = `${p.protocol}/${p.hostPort}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['ports', i, 'hostPort'], message: `host port ${key} is already used by ports[${seen.get(key)}]` });
      else seen.set(key, i);
    });
  });

export type WorkloadSpec = z.output<typeof workloadSpecSchema>;
