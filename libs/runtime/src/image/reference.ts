import { ImageError } from './errors.js';

/**
 * Image references with Docker's normalisation rules (distribution/reference):
 * `busybox` -> `docker.io/library/busybox:latest`; the first path component is a registry
 * only when it contains `.` or `:`, is `localhost`, or has upper-case letters.
 */
export interface ImageReference {
  /** Registry host with optional port, e.g. `docker.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  readonly repository: string;
  /** Tag; `latest` when the input had neither tag nor digest. */
  readonly tag?: string;
  /** `algorithm:hex` digest when pinned. */
  readonly digest?: string;
}

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';
/** Longest `registry/repository` name Docker accepts. */
export const NAME_MAX_LENGTH = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const DIGEST_HEX: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const HEX64 = /^[a-f0-9]{64}$/;

function invalid(input: string, reason: string): ImageError {
  return new ImageError('invalid_reference', `failed to parse image reference "${input}": ${reason}`);
}

/** Validates `algorithm:hex` the way references and manifests use it; returns it unchanged. */
export function checkReferenceDigest(input: string, digest: string): string {
  if (!DIGEST.test(digest)) throw invalid(input, `invalid digest format "${digest}"`);
  const [alg, hex] = digest.split(':') as [string, string];
  const want = DIGEST_HEX[alg];
  if (want === undefined) throw invalid(input, `unsupported digest algorithm "${alg}"`);
  if (hex.length !== want || !/^[a-f0-9]+$/.test(hex)) {
    throw invalid(input, `digest "${digest}" must have ${want} lower-case hex characters after "${alg}:"`);
  }
  return digest;
}

function splitDomain(input: string, name: string): { registry: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const isDomain =
    slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  let registry = DEFAULT_REGISTRY;
  let path = name;
  if (isDomain) {
    registry = first;
    path = name.slice(slash + 1);
    if (!DOMAIN.test(registry)) throw invalid(input, `invalid registry host "${registry}"`);
    const port = /:([0-9]+)$/.exec(registry);
    if (port && Number(port[1]) > 65535) throw invalid(input, `registry port ${port[1]} is out of range`);
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !path.includes('/')) path = `library/${path}`;
  return { registry, path };
}

function checkPath(input: string, path: string): void {
  if (path === '') throw invalid(input, 'repository name is empty');
  for (const component of path.split('/')) {
    if (component === '') throw invalid(input, 'repository name has an empty path component');
    if (component.toLowerCase() !== component && PATH_COMPONENT.test(component.toLowerCase())) {
      throw invalid(input, `repository name must be lowercase (component "${component}")`);
    }
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(
        input,
        `invalid repository path component "${component}" (allowed: [a-z0-9] separated by ".", "_", "__" or "-")`,
      );
    }
  }
}

/** Parses and normalises a reference; throws ImageError('invalid_reference') naming the reason. */
export function parseReference(input: string): ImageReference {
  if (typeof input !== 'string' || input.length === 0) throw invalid(String(input), 'reference is empty');
  if (input.trim() !== input) throw invalid(input, 'reference has leading or trailing whitespace');
  if (HEX64.test(input)) {
    throw invalid(input, 'a 64-character hexadecimal string is an image ID, not a repository name');
  }
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = checkReferenceDigest(input, rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw invalid(input, `invalid tag "${tag}" (must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`);
    }
  }
  if (rest === '') throw invalid(input, 'repository name is empty');
  const { registry, path } = splitDomain(input, rest);
  checkPath(input, path);
  const fullLength = registry.length + 1 + path.length;
  if (fullLength > NAME_MAX_LENGTH) {
    throw invalid(input, `repository name is ${fullLength} characters, longer than ${NAME_MAX_LENGTH}`);
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return {
    registry,
    repository: path,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** `registry/repository` without tag or digest. */
export function referenceName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** Canonical string: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  let s = referenceName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Docker's short form: `busybox:latest` for docker.io/library/busybox:latest. */
export function familiarReference(ref: ImageReference): string {
  let name = referenceName(ref);
  if (ref.registry === DEFAULT_REGISTRY) {
    name = ref.repository.startsWith('library/') ? ref.repository.slice(8) : ref.repository;
  }
  let s = name;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The same reference with a different tag and no digest. */
export function withTag(ref: ImageReference, tag: string): ImageReference {
  if (!TAG.test(tag)) throw invalid(`${referenceName(ref)}:${tag}`, `invalid tag "${tag}"`);
  return { registry: ref.registry, repository: ref.repository, tag };
}

/** The same reference pinned by digest (tag kept). */
export function withDigest(ref: ImageReference, digest: string): ImageReference {
  checkReferenceDigest(`${referenceName(ref)}@${digest}`, digest);
  return { ...ref, digest };
}

/** What a registry resolves: the digest if pinned, else the tag. */
export function referenceTarget(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}
