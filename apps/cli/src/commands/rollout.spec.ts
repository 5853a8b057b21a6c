import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Assignment, Workload } from '../types.js';
import { progressLine, rolloutProgress } from './rollout.js';

const w = (replicas: number, currentRevision: number, probe = false): Workload => ({
  id: 'w', name: 'web', labels: {}, replicas, currentRevision, revision: 9, createdAt: '', updatedAt: '',
  spec: { image: 'x', ...(probe ? { readinessProbe: { tcpSocket: { port: 80 } } } : {}) },
});

const a = (rev: number, state: string | null, ready = false, desired: Assignment['desiredState'] = 'running', workloadName = 'web'): Assignment => ({
  id: 'a', workloadName, workloadRevision: rev, nodeName: 'n', replicaIndex: 0, desiredState: desired, revision: 1, createdAt: '',
  status: state === null ? null : { containerId: null, state, exitCode: null, restartCount: 0, reason: null, message: null, ready, observedAt: '' },
});

test('rolloutProgress: counts up-to-date, ready and old replicas; done only when observed == desired', () => {
  const cases: [string, Workload, Assignment[], { updated: number; ready: number; old: number; done: boolean }][] = [
    ['nothing placed', w(2, 1), [], { updated: 0, ready: 0, old: 0, done: false }],
    ['all running', w(2, 1), [a(1, 'running'), a(1, 'running')], { updated: 2, ready: 2, old: 0, done: true }],
    ['one still pending', w(2, 1), [a(1, 'running'), a(1, null)], { updated: 2, ready: 1, old: 0, done: false }],
    ['old revision still running', w(2, 2), [a(2, 'running'), a(2, 'running'), a(1, 'running')], { updated: 2, ready: 2, old: 1, done: false }],
    ['old revision being removed does not count', w(1, 2), [a(2, 'running'), a(1, 'running', false, 'removed')], { updated: 1, ready: 1, old: 0, done: true }],
    ['readiness probe: running but not ready', w(1, 1, true), [a(1, 'running', false)], { updated: 1, ready: 0, old: 0, done: false }],
    ['readiness probe: ready', w(1, 1, true), [a(1, 'running', true)], { updated: 1, ready: 1, old: 0, done: true }],
    ['exited is not ready', w(1, 1), [a(1, 'exited')], { updated: 1, ready: 0, old: 0, done: false }],
    ['other workloads ignored', w(1, 1), [a(1, 'running'), a(1, 'running', true, 'running', 'api')], { updated: 1, ready: 1, old: 0, done: true }],
    ['scaled to zero', w(0, 1), [], { updated: 0, ready: 0, old: 0, done: true }],
    ['scaled to zero, one left', w(0, 1), [a(1, 'running')], { updated: 1, ready: 1, old: 0, done: false }],
  ];
  for (const [name, wl, as, want] of cases) {
    const p = rolloutProgress(wl, as);
    assert.deepEqual({ updated: p.updated, ready: p.ready, old: p.old, done: p.done }, want, name);
  }
});

test('progressLine: says what it waits for', () => {
  assert.equal(
    progressLine('web', 3, { desired: 3, updated: 2, ready: 1, old: 1, done: false }),
    'Waiting for rollout of workload/web (revision 3): 1 of 3 replicas ready, 2 up-to-date, 1 old replica pending termination',
  );
});
