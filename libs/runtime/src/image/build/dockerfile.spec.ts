import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from './dockerfile.js';
import { BuildError } from './errors.js';
import { lexWord, splitWords } from './expand.js';
import { BuildState, type ResolvedStep } from './resolve.js';

/** Parses and resolves every instruction; base config optional. */
function resolveAll(text: string, buildArgs: Record<string, string> = {}, base: { Env?: string[]; Cmd?: string[] } = {}) {
  const df = parseDockerfile(text);
  const st = new BuildState(new Map(Object.entries(buildArgs)), df.escape);
  const steps: ResolvedStep[] = [];
  for (const inst of df.instructions) {
    const r = st.resolve(inst);
    if (r.step.kind === 'from') st.setBase(base);
    steps.push(r);
  }
  return { steps, settings: st.settings };
}

function rejects(text: string, pattern: RegExp, buildArgs: Record<string, string> = {}) {
  assert.throws(() => resolveAll(text, buildArgs), (err: unknown) => {
    assert.ok(err instanceof BuildError, `expected BuildError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('FROM scratch parses to a from step', () => {
  const { steps } = resolveAll('FROM scratch\n');
  assert.deepEqual(steps[0]?.step, { kind: 'from', image: 'scratch' });
});

test('keywords are case-insensitive and comments and blank lines are skipped', () => {
  const { steps } = resolveAll('# a comment\n\nfrom busybox\n  # indented comment\nrun echo hi\n');
  assert.deepEqual(steps.map((s) => s.keyword), ['FROM', 'RUN']);
  assert.equal(steps[1]?.line, 5);
});

test('RUN shell form runs through /bin/sh -c with the text untouched', () => {
  const { steps } = resolveAll('FROM scratch\nRUN echo $HOME "a  b"\n');
  assert.deepEqual(steps[1]?.step, { kind: 'run', args: ['/bin/sh', '-c', 'echo $HOME "a  b"'], env: [] });
});

test('RUN exec form is a JSON array, not substituted', () => {
  const { steps } = resolveAll('FROM scratch\nENV X=1\nRUN ["/bin/echo", "$X"]\n');
  const s = steps[2]?.step;
  assert.equal(s?.kind, 'run');
  if (s?.kind === 'run') assert.deepEqual(s.args, ['/bin/echo', '$X']);
});

test('RUN with invalid JSON falls back to the shell form like Docker', () => {
  const { steps } = resolveAll('FROM scratch\nRUN [ "a", b ]\n');
  const s = steps[1]?.step;
  if (s?.kind !== 'run') throw new Error('not run');
  assert.deepEqual(s.args, ['/bin/sh', '-c', '[ "a", b ]']);
});

test('line continuations join lines and keep the start line number', () => {
  const { steps } = resolveAll('FROM scratch\nRUN echo a \\\n  && echo b \\\n  && echo c\nUSER 1\n');
  const s = steps[1]?.step;
  if (s?.kind !== 'run') throw new Error('not run');
  assert.equal(s.args[2], 'echo a   && echo b   && echo c');
  assert.equal(steps[1]?.line, 2);
  assert.equal(steps[2]?.line, 5);
});

test('comment lines inside a continuation are dropped', () => {
  const { steps } = resolveAll('FROM scratch\nRUN echo a \\\n# not part of it\n  b\n');
  const s = steps[1]?.step;
  if (s?.kind !== 'run') throw new Error('not run');
  assert.equal(s.args[2], 'echo a   b');
});

test('the escape directive switches the continuation character to a backtick', () => {
  const df = parseDockerfile('# escape=`\nFROM scratch\nRUN echo a `\n  b\n');
  assert.equal(df.escape, '`');
  assert.equal(df.instructions[1]?.args, 'echo a   b');
});

test('ENV key=value pairs, quotes and escapes', () => {
  const { settings } = resolveAll('FROM scratch\nENV A=1 B="two words" C=three\\ words D=\'$A\'\n');
  assert.deepEqual(settings.env, [['A', '1'], ['B', 'two words'], ['C', 'three words'], ['D', '$A']]);
});

test('ENV legacy form takes the rest of the line as the value', () => {
  const { settings } = resolveAll('FROM scratch\nENV GREETING hello  big world\n');
  assert.deepEqual(settings.env, [['GREETING', 'hello  big world']]);
});

test('ENV substitution uses values from before the instruction', () => {
  const { settings } = resolveAll('FROM scratch\nENV A=1\nENV A=2 B=$A\n');
  assert.deepEqual(settings.env, [['A', '2'], ['B', '1']]);
});

test('ENV extends a base image variable with ${VAR}', () => {
  const { settings } = resolveAll('FROM base\nENV PATH=${PATH}:/opt/bin\n', {}, { Env: ['PATH=/usr/bin:/bin'] });
  assert.deepEqual(settings.env, [['PATH', '/usr/bin:/bin:/opt/bin']]);
});

test('${VAR:-default} and ${VAR:+alt} modifiers', () => {
  const vars = new Map([['SET', 'x'], ['EMPTY', '']]);
  assert.equal(lexWord('${UNSET:-d}/${SET:-d}/${EMPTY:-e}', vars, '\\'), 'd/x/e');
  assert.equal(lexWord('${SET:+alt}/${UNSET:+alt}/${EMPTY+set}', vars, '\\'), 'alt//set');
});

test('escaped dollar stays literal and single quotes do not expand', () => {
  const vars = new Map([['A', 'v']]);
  assert.equal(lexWord('\\$A-$A-\'$A\'-"$A"', vars, '\\'), '$A-v-$A-v');
});

test('a bad substitution names the line and instruction', () => {
  rejects('FROM scratch\nENV A=1\nWORKDIR ${A:?x}\n', /line 3 \(WORKDIR\): unsupported modifier/);
});

test('an unterminated quote is reported with its line', () => {
  rejects('FROM scratch\nENV A="oops\n', /line 2 \(ENV\): unterminated " quote/);
});

test('splitWords keeps quoted spaces together', () => {
  assert.deepEqual(splitWords('a "b c" d\\ e \'f g\'', '\\'), ['a', '"b c"', 'd\\ e', "'f g'"]);
});

test('ARG with default, overridden by --build-arg, visible to later substitution', () => {
  const a = resolveAll('FROM scratch\nARG V=1.0\nWORKDIR /opt/$V\n');
  assert.equal(a.settings.workdir, '/opt/1.0');
  const b = resolveAll('FROM scratch\nARG V=1.0\nWORKDIR /opt/$V\n', { V: '2.0' });
  assert.equal(b.settings.workdir, '/opt/2.0');
});

test('ARG before FROM is usable in FROM and inherited when redeclared', () => {
  const { steps, settings } = resolveAll('ARG TAG=1.36\nFROM busybox:$TAG\nARG TAG\nLABEL v=$TAG\n', { TAG: '1.35' });
  assert.deepEqual(steps[1]?.step, { kind: 'from', image: 'busybox:1.35' });
  assert.equal(settings.labels.v, '1.35');
});

test('ARG before FROM is not visible after FROM unless redeclared', () => {
  const { settings } = resolveAll('ARG X=1\nFROM scratch\nLABEL x=[$X]\n');
  assert.equal(settings.labels.x, '[]');
});

test('ARG values reach RUN as environment variables but not the image config', () => {
  const { steps, settings } = resolveAll('FROM scratch\nARG MODE=dev\nENV A=1\nRUN true\n');
  const s = steps[3]?.step;
  if (s?.kind !== 'run') throw new Error('not run');
  assert.deepEqual(s.env, ['MODE=dev', 'A=1']);
  assert.deepEqual(settings.env, [['A', '1']]);
});

test('ENV overrides an ARG of the same name in substitution', () => {
  const { settings } = resolveAll('FROM scratch\nARG X=arg\nENV X=env\nLABEL x=$X\n');
  assert.equal(settings.labels.x, 'env');
});

test('WORKDIR relative paths build on the previous WORKDIR', () => {
  const { steps, settings } = resolveAll('FROM scratch\nWORKDIR /a\nWORKDIR b\nWORKDIR ../c\n');
  assert.equal(settings.workdir, '/a/c');
  assert.deepEqual(steps[2]?.step, { kind: 'workdir', path: '/a/b' });
});

test('COPY shell and JSON forms, destination relative to WORKDIR', () => {
  const { steps } = resolveAll('FROM scratch\nWORKDIR /app\nCOPY a.txt b/ ./\nCOPY ["with space.txt", "dest file"]\n');
  assert.deepEqual(steps[2]?.step, { kind: 'copy', add: false, sources: ['a.txt', 'b/'], dest: '/app/' });
  assert.deepEqual(steps[3]?.step, { kind: 'copy', add: false, sources: ['with space.txt'], dest: '/app/dest file' });
});

test('COPY substitutes variables and takes --chown and --chmod', () => {
  const { steps } = resolveAll('FROM scratch\nENV D=/srv\nCOPY --chown=1000:1000 --chmod=640 f $D/f\n');
  assert.deepEqual(steps[2]?.step, { kind: 'copy', add: false, sources: ['f'], dest: '/srv/f', chown: { user: '1000', group: '1000' }, chmod: 0o640 });
  assert.equal(steps[2]?.createdBy, 'COPY --chown=1000:1000 --chmod=640 f /srv/f');
});

test('COPY of several sources needs a directory destination', () => {
  rejects('FROM scratch\nCOPY a b /dest\n', /line 2 \(COPY\): with several sources the destination must be a directory/);
});

test('COPY --from (multi-stage) is rejected clearly', () => {
  rejects('FROM scratch\nCOPY --from=build /a /b\n', /line 2 \(COPY\): --from is not supported/);
});

test('ADD of a URL is rejected clearly', () => {
  rejects('FROM scratch\nADD https://example.com/x.tgz /x\n', /line 2 \(ADD\): source "https:\/\/example.com\/x.tgz" is a URL/);
});

test('unknown flags are rejected with their name', () => {
  rejects('FROM scratch\nCOPY --link a /b\n', /line 2 \(COPY\): unknown flag --link/);
});

test('LABEL pairs with quotes; later values win', () => {
  const { settings } = resolveAll('FROM scratch\nLABEL a=1 "b c"="d e"\nLABEL a=2\n');
  assert.deepEqual(settings.labels, { a: '2', 'b c': 'd e' });
});

test('EXPOSE normalises protocols and rejects bad ports', () => {
  const { settings } = resolveAll('FROM scratch\nEXPOSE 80 53/UDP 8000-8010/tcp\n');
  assert.deepEqual(settings.exposed, ['80/tcp', '53/udp', '8000-8010/tcp']);
  rejects('FROM scratch\nEXPOSE 70000\n', /line 2 \(EXPOSE\): invalid port "70000"/);
  rejects('FROM scratch\nEXPOSE 80/icmp\n', /invalid port "80\/icmp"/);
});

test('VOLUME in JSON and shell forms', () => {
  const { settings } = resolveAll('FROM scratch\nVOLUME ["/data"]\nVOLUME /a /b\n');
  assert.deepEqual(settings.volumes, ['/data', '/a', '/b']);
});

test('USER accepts user[:group] and rejects junk', () => {
  const { settings } = resolveAll('FROM scratch\nENV U=app\nUSER $U:staff\n');
  assert.equal(settings.user, 'app:staff');
  rejects('FROM scratch\nUSER a:b:c\n', /line 2 \(USER\): expected user\[:group\]/);
});

test('CMD and ENTRYPOINT shell forms wrap in /bin/sh -c; exec forms stay', () => {
  const { settings } = resolveAll('FROM scratch\nENTRYPOINT ["/bin/app"]\nCMD echo $HOME\n');
  assert.deepEqual(settings.entrypoint, ['/bin/app']);
  assert.deepEqual(settings.cmd, ['/bin/sh', '-c', 'echo $HOME']);
});

test('ENTRYPOINT resets a CMD inherited from the base image', () => {
  const { settings } = resolveAll('FROM base\nENTRYPOINT ["/x"]\n', {}, { Cmd: ['/bin/sh'] });
  assert.equal(settings.cmd, undefined);
  const kept = resolveAll('FROM base\nCMD ["a"]\nENTRYPOINT ["/x"]\n', {}, { Cmd: ['/bin/sh'] });
  assert.deepEqual(kept.settings.cmd, ['a']);
});

test('STOPSIGNAL accepts names and numbers', () => {
  assert.equal(resolveAll('FROM scratch\nSTOPSIGNAL SIGTERM\n').settings.stopSignal, 'SIGTERM');
  rejects('FROM scratch\nSTOPSIGNAL term now\n', /line 2 \(STOPSIGNAL\): invalid signal/);
});

test('unknown instructions name the line', () => {
  rejects('FROM scratch\nRUN true\nFROBNICATE x\n', /line 3 \(FROBNICATE\): unknown instruction "FROBNICATE"/);
});

test('refused Docker instructions say why', () => {
  rejects('FROM scratch\nHEALTHCHECK CMD true\n', /line 2 \(HEALTHCHECK\): HEALTHCHECK is not supported/);
  rejects('FROM scratch\nSHELL ["/bin/bash", "-c"]\n', /line 2 \(SHELL\)/);
});

test('an instruction without arguments is an error', () => {
  rejects('FROM scratch\nWORKDIR\n', /line 2 \(WORKDIR\): WORKDIR needs arguments/);
});

test('the first instruction must be FROM (ARG allowed before)', () => {
  rejects('RUN true\nFROM scratch\n', /line 1 \(RUN\): the first instruction must be FROM/);
  rejects('# only a comment\n', /has no FROM instruction/);
});

test('FROM ... AS name and a second FROM are rejected clearly', () => {
  rejects('FROM busybox AS build\n', /line 1 \(FROM\): "AS build" names a build stage/);
  rejects('FROM busybox\nFROM scratch\n', /line 2 \(FROM\): multi-stage builds are not supported/);
  rejects('FROM --platform=linux/arm64 busybox\n', /line 1 \(FROM\): --platform is not supported/);
});

test('a bad ARG name and a bad ENV name are rejected', () => {
  rejects('FROM scratch\nARG 1x=2\n', /line 2 \(ARG\): invalid argument name "1x"/);
  rejects('FROM scratch\nENV a-b=1\n', /line 2 \(ENV\): invalid variable name "a-b"/);
});

test('history text records the substituted instruction', () => {
  const { steps } = resolveAll('FROM scratch\nENV A=x\nWORKDIR /$A\nEXPOSE 80\n');
  assert.deepEqual(steps.map((s) => s.createdBy), ['FROM scratch', 'ENV A=x', 'WORKDIR /x', 'EXPOSE 80/tcp']);
});

test('CRLF line endings and a UTF-8 BOM are accepted', () => {
  const { steps } = resolveAll('\uFEFFFROM scratch\r\nRUN echo a \\\r\n  b\r\n');
  const s = steps[1]?.step;
  if (s?.kind !== 'run') throw new Error('not run');
  assert.equal(s.args[2], 'echo a   b');
});
