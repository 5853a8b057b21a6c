import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiarReference, formatReference, parseReference, withTag } from './reference.js';
import { ImageError } from './errors.js';

const D = `sha256:${'a'.repeat(64)}`;

const valid: Array<[string, string]> = [
  ['busybox', 'docker.io/library/busybox:latest'],
  ['busybox:1.36', 'docker.io/library/busybox:1.36'],
  ['library/busybox', 'docker.io/library/busybox:latest'],
  ['docker.io/busybox', 'docker.io/library/busybox:latest'],
  ['index.docker.io/library/busybox:1', 'docker.io/library/busybox:1'],
  ['registry-1.docker.io/user/app', 'docker.io/user/app:latest'],
  ['user/app:v2', 'docker.io/user/app:v2'],
  ['127.0.0.1:5000/library/busybox:1.35', '127.0.0.1:5000/library/busybox:1.35'],
  ['localhost/app', 'localhost/app:latest'],
  ['localhost:5000/app', 'localhost:5000/app:latest'],
  ['registry.example.com/team/app', 'registry.example.com/team/app:latest'],
  ['registry.example.com:443/team/sub/app:1', 'registry.example.com:443/team/sub/app:1'],
  [`registry.example.com/team/app@${D}`, `registry.example.com/team/app@${D}`],
  [`busybox@${D}`, `docker.io/library/busybox@${D}`],
  [`busybox:1.36@${D}`, `docker.io/library/busybox:1.36@${D}`],
  ['[::1]:5000/app:t', '[::1]:5000/app:t'],
  ['[fe80::1]/x/y', '[fe80::1]/x/y:latest'],
  ['10.0.0.1/a', '10.0.0.1/a:latest'],
  ['a.b-c.d/e', 'a.b-c.d/e:latest'],
  ['my-reg:1/a__b/c.d/e-f', 'my-reg:1/a__b/c.d/e-f:latest'],
  ['Host.Example/app', 'Host.Example/app:latest'],
  ['foo/bar---baz', 'docker.io/foo/bar---baz:latest'],
  ['app:_tag', 'docker.io/library/app:_tag'],
  ['app:V1.0-rc_1', 'docker.io/library/app:V1.0-rc_1'],
  [`app:${'t'.repeat(128)}`, `docker.io/library/app:${'t'.repeat(128)}`],
  [`ex.com/a@sha512:${'b'.repeat(128)}`, `ex.com/a@sha512:${'b'.repeat(128)}`],
];

const invalidRefs: Array<[string, RegExp]> = [
  ['', /empty/],
  [' busybox', /whitespace/],
  ['Busybox', /must be lowercase/],
  ['docker.io/Library/busybox', /must be lowercase/],
  ['busybox:', /invalid tag ""/],
  ['busybox:-x', /invalid tag "-x"/],
  ['busybox:.x', /invalid tag/],
  [`busybox:${'t'.repeat(129)}`, /invalid tag/],
  ['busybox:a/b', /invalid registry host "busybox:a"/],
  ['busybox@sha256:abc', /must have 64/],
  [`busybox@sha256:${'A'.repeat(64)}`, /lower-case hex/],
  [`busybox@md5:${'a'.repeat(32)}`, /unsupported digest algorithm "md5"/],
  ['busybox@', /invalid digest format/],
  ['a'.repeat(64), /image ID/],
  ['/busybox', /empty path component|invalid repository path|invalid registry/],
  ['busybox/', /empty path component/],
  ['a//b', /empty path component/],
  ['host:5000/', /repository name is empty|empty path component/],
  ['-foo/bar', /invalid repository path component "-foo"/],
  ['foo/bar_', /invalid repository path component "bar_"/],
  ['foo/b___ar', /invalid repository path component/],
  ['foo/.bar', /invalid repository path component/],
  ['foo/bar..baz', /invalid repository path component/],
  ['host:99999/app', /port 99999 is out of range/],
  ['-host.com/app', /invalid registry host/],
  ['host.com:abc/app', /invalid registry host|invalid tag/],
  [`ex.com/${'a'.repeat(250)}`, /longer than 255/],
  ['foo bar', /invalid repository path component/],
  ['@sha256:' + 'a'.repeat(64), /repository name is empty/],
];

for (const [input, want] of valid) {
  test(`parseReference accepts ${JSON.stringify(input.slice(0, 60))} as ${want.slice(0, 60)}`, () => {
    assert.equal(formatReference(parseReference(input)), want);
  });
}

for (const [input, reason] of invalidRefs) {
  test(`parseReference rejects ${JSON.stringify(input.slice(0, 60))} with the reason`, () => {
    assert.throws(
      () => parseReference(input),
      (err: unknown) => {
        assert.ok(err instanceof ImageError);
        assert.equal(err.code, 'invalid_reference');
        assert.equal(err.category, 'invalid_argument');
        assert.match(err.message, /^failed to parse image reference/);
        assert.match(err.message, reason);
        return true;
      },
    );
  });
}

test('parseReference splits registry, repository, tag and digest', () => {
  const r = parseReference(`127.0.0.1:5000/team/app:v1@${D}`);
  assert.deepEqual(r, { registry: '127.0.0.1:5000', repository: 'team/app', tag: 'v1', digest: D });
  const pinned = parseReference(`app@${D}`);
  assert.equal(pinned.tag, undefined, 'digest-only reference gets no default tag');
});

test('familiarReference shortens docker.io/library names only', () => {
  assert.equal(familiarReference(parseReference('busybox')), 'busybox:latest');
  assert.equal(familiarReference(parseReference('user/app:1')), 'user/app:1');
  assert.equal(familiarReference(parseReference('localhost:5000/app')), 'localhost:5000/app:latest');
});

test('withTag replaces the tag and drops the digest, rejecting bad tags', () => {
  const r = withTag(parseReference(`app:1@${D}`), 'two');
  assert.equal(formatReference(r), 'docker.io/library/app:two');
  assert.throws(() => withTag(r, 'bad tag'), /invalid tag "bad tag"/);
});
