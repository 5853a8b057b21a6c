/**
 * Capability sets as the native shim needs them: 64-bit masks (bit n = capability n), as
 * capset(2) takes them in two 32-bit words and PR_CAPBSET_DROP / PR_CAP_AMBIENT walk them.
 * The name table itself lives in spec/capabilities.ts (spec/ may not import process/).
 */
import { BerthError } from '../errors.js';
import { capabilityName, capabilityNameProblem, capabilityNumber } from '../spec/capabilities.js';
import type { LinuxCapabilities } from '../spec/types.js';

export {
  CAPABILITIES,
  CAP_LAST_CAP,
  capabilityName,
  capabilityNameProblem,
  capabilityNumber,
  isKnownCapability,
} from '../spec/capabilities.js';

/**
 * 64-bit mask of capability names. Throws BerthError 'invalid_capability' naming the first
 * unknown name; duplicates are harmless.
 */
export function capsToMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const name of names) {
    const num = capabilityNumber(name);
    if (num === undefined) {
      const why = capabilityNameProblem(name) ?? `unknown capability "${String(name)}"`;
      throw new BerthError('invalid_capability', 'invalid_argument', `failed to convert capabilities: ${why}`);
    }
    mask |= 1n << BigInt(num);
  }
  return mask;
}

/** Capability names in a mask, in number order; bits without a known name are ignored. */
export function maskToCaps(mask: bigint): string[] {
  const out: string[] = [];
  for (let n = 0; n < 64; n++) {
    if (((mask >> BigInt(n)) & 1n) === 1n) {
      const name = capabilityName(n);
      if (name !== undefined) out.push(name);
    }
  }
  return out;
}

/** The five sets of a process as masks, ready for capset/prctl in the shim. */
export interface CapabilityMasks {
  bounding: bigint;
  effective: bigint;
  inheritable: bigint;
  permitted: bigint;
  ambient: bigint;
}

/** Masks of a spec's process.capabilities; a missing set is empty (as runc treats it). */
export function capabilityMasks(caps: LinuxCapabilities | undefined): CapabilityMasks {
  return {
    bounding: capsToMask(caps?.bounding ?? []),
    effective: capsToMask(caps?.effective ?? []),
    inheritable: capsToMask(caps?.inheritable ?? []),
    permitted: capsToMask(caps?.permitted ?? []),
    ambient: capsToMask(caps?.ambient ?? []),
  };
}
