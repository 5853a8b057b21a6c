import { ImageError } from '../errors.js';
import { referenceName, type ImageReference } from '../reference.js';
import type { RegistryClient } from '../registry/client.js';
import { loadPublicKey } from './keys.js';
import { verifyImageSignature, type VerifiedSignature } from './verify.js';

/**
 * Signature policy: a JSON object mapping a registry (`registry.example.com`) or repository
 * prefix (`127.0.0.1:5000/team`) to a rule. The longest prefix matching at a path boundary
 * wins; an image no rule matches is allowed.
 *   { "127.0.0.1:5000/prod": { "requireSignature": true, "keys": ["-----BEGIN PUBLIC KEY-----..."] } }
 */
export interface PolicyRule {
  readonly requireSignature: boolean;
  readonly keys: readonly string[];
}

export interface SignaturePolicy {
  readonly rules: ReadonlyMap<string, PolicyRule>;
}

function bad(reason: string): ImageError {
  return new ImageError('invalid_policy', `failed to parse signature policy: ${reason}`);
}

export function parsePolicy(input: unknown): SignaturePolicy {
  const doc = typeof input === 'string' ? (JSON.parse(input) as unknown) : input;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('expected an object of prefix -> rule');
  const rules = new Map<string, PolicyRule>();
  for (const [prefix, rule] of Object.entries(doc as Record<string, unknown>)) {
    if (prefix === '' || prefix.endsWith('/') || /[@\s]/.test(prefix)) {
      throw bad(`invalid prefix "${prefix}" (want registry[/repository path], no tag or digest)`);
    }
    const r = rule as { requireSignature?: unknown; keys?: unknown };
    if (typeof r !== 'object' || r === null || typeof r.requireSignature !== 'boolean') {
      throw bad(`rule "${prefix}" needs a boolean requireSignature`);
    }
    const keys = r.keys ?? [];
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) throw bad(`rule "${prefix}": keys must be an array of PEM strings`);
    if (r.requireSignature && keys.length === 0) throw bad(`rule "${prefix}" requires a signature but lists no keys`);
    keys.forEach((k: string, i) => {
      try {
        loadPublicKey(k);
      } catch (err) {
        throw bad(`rule "${prefix}" keys[${i}]: ${(err as Error).message}`);
      }
    });
    rules.set(prefix, { requireSignature: r.requireSignature, keys: keys as string[] });
  }
  return { rules };
}

/** The rule for a reference: longest prefix of `registry/repository` at a `/` boundary. */
export function ruleFor(policy: SignaturePolicy, ref: ImageReference): { prefix: string; rule: PolicyRule } | undefined {
  const name = referenceName(ref);
  let best: { prefix: string; rule: PolicyRule } | undefined;
  for (const [prefix, rule] of policy.rules) {
    const matches = name === prefix || name.startsWith(`${prefix}/`);
    if (matches && (!best || prefix.length > best.prefix.length)) best = { prefix, rule };
  }
  return best;
}

/** Throws signature_required / signature_invalid when the matching rule is not satisfied. */
export async function enforcePolicy(
  policy: SignaturePolicy,
  client: RegistryClient,
  ref: ImageReference,
  digest: string,
): Promise<VerifiedSignature[]> {
  const match = ruleFor(policy, ref);
  if (!match || !match.rule.requireSignature) return [];
  return verifyImageSignature(client, { registry: ref.registry, repository: ref.repository }, digest, match.rule.keys);
}
