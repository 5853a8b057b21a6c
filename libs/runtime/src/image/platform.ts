import { ImageError } from './errors.js';
import type { Descriptor, ImageIndex, Platform } from './manifest.js';

/** Go's GOARCH names for node's process.arch values. */
const ARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips: 'mips',
  mipsel: 'mipsle',
  loong64: 'loong64',
};

/** Normalises aliases the way containerd does (aarch64 -> arm64, x86_64 -> amd64, arm64 v8 default). */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'armhf') [architecture, variant] = ['arm', 'v7'];
  if (architecture === 'armel') [architecture, variant] = ['arm', 'v6'];
  if (architecture === 'arm64' && variant === 'v8') variant = undefined;
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return { os, architecture, ...(variant !== undefined ? { variant } : {}) };
}

/** The host platform: linux/<GOARCH of process.arch>. */
export function defaultPlatform(arch: string = process.arch): Platform {
  return normalizePlatform({ os: 'linux', architecture: ARCH[arch] ?? arch });
}

/** Parses `os/arch[/variant]`. */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => x === '')) {
    throw new ImageError('invalid_reference', `failed to parse platform "${s}": expected os/architecture[/variant]`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform({ os, architecture, ...(variant !== undefined ? { variant } : {}) });
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined).join('/');
}

/** True when an image built for `candidate` runs on `want` (exact os/arch; variant equal or unset). */
export function platformMatches(want: Platform, candidate: Platform): boolean {
  const a = normalizePlatform(want);
  const b = normalizePlatform(candidate);
  if (a.os !== b.os || a.architecture !== b.architecture) return false;
  if (a.variant === undefined || b.variant === undefined) return true;
  if (a.variant === b.variant) return true;
  // An arm v7 host runs v6 and v5 images (older variants), as containerd's matcher allows.
  if (a.architecture === 'arm') return Number(b.variant.slice(1)) <= Number(a.variant.slice(1));
  return false;
}

/** Picks the best manifest for `want` from an index; exact variant wins over a compatible one. */
export function selectManifest(index: ImageIndex, want: Platform = defaultPlatform()): Descriptor {
  const target = normalizePlatform(want);
  const candidates = index.manifests.filter((d) => d.platform && platformMatches(target, d.platform));
  const exact = candidates.find((d) => d.platform && normalizePlatform(d.platform).variant === target.variant);
  const best = exact ?? candidates.sort((x, y) => (y.platform?.variant ?? '').localeCompare(x.platform?.variant ?? ''))[0];
  if (!best) {
    const available = index.manifests
      .map((d) => (d.platform ? formatPlatform(d.platform) : 'unknown'))
      .join(', ');
    throw new ImageError(
      'platform_not_found',
      `failed to select manifest for ${formatPlatform(target)}: no match in index (available: ${available || 'none'})`,
    );
  }
  return best;
}
