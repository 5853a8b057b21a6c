import { z } from 'zod';

/** berth-agent's configuration, validated at boot; a bad flag fails fast and names itself. */
export const AgentConfigSchema = z.object({
  listen: z
    .string()
    .regex(/^[^:]+:\d{1,5}$/, 'must be host:port')
    .default('127.0.0.1:9101'),
  stateRoot: z.string().startsWith('/', 'must be an absolute path').default('/run/berth/containers'),
  dataRoot: z.string().startsWith('/', 'must be an absolute path').default('/var/lib/berth'),
  consoleUrl: z.string().url().optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
});
export type AgentConfig = z.infer<typeof AgentConfigSchema>;
export const AGENT_CONFIG = Symbol('AGENT_CONFIG');

const FLAGS: Record<string, keyof AgentConfig> = {
  '--listen': 'listen',
  '--state-root': 'stateRoot',
  '--data-root': 'dataRoot',
  '--console-url': 'consoleUrl',
  '--log-level': 'logLevel',
};

export class ConfigError extends Error {}

/** Parses `--flag value` / `--flag=value` into a validated config. */
export function parseAgentConfig(argv: string[]): AgentConfig {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const key = FLAGS[flag];
    if (!key) throw new ConfigError(`unknown flag ${flag}; known: ${Object.keys(FLAGS).join(', ')}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`flag ${flag} needs a value`);
    raw[key] = value;
  }
  const parsed = AgentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues
      .map((iss) => {
        const key = String(iss.path[0]);
        const flag = Object.entries(FLAGS).find(([, k]) => k === key)?.[0] ?? key;
        return `${flag}: ${iss.message}`;
      })
      .join('; ');
    throw new ConfigError(`invalid configuration: ${why}`);
  }
  return parsed.data;
}
