import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import {
  AGENTS_ASSIGNMENT_STORE, AGENTS_CA, AGENTS_FLEET_EVENTS, AGENTS_JOIN_TOKEN_STORE, AGENTS_LOGGER, AGENTS_NODE_STORE, AGENTS_RESCHEDULER,
  AgentsGateway, AgentsModule,
} from './agents.module.js';
import { InMemoryAssignmentStore, InMemoryFleetEvents, InMemoryJoinTokenStore, InMemoryNodeStore, RecordingRescheduler } from './memory.js';
import { silentLogger } from './logger.js';
import type { CertificateAuthority } from '../pki/index.js';
import { SimAgent } from './testing/sim-agent.js';

test('agents module: boots the listener with the CA from the data dir and serves agents', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-agents-mod-'));
  const tokens = new InMemoryJoinTokenStore();
  tokens.add('t', { expiresAt: new Date(Date.now() + 60_000) });
  const events = new InMemoryFleetEvents();
  @Module({
    imports: [
      AgentsModule.register({
        providers: [
          { provide: AGENTS_NODE_STORE, useValue: new InMemoryNodeStore() },
          { provide: AGENTS_JOIN_TOKEN_STORE, useValue: tokens },
          { provide: AGENTS_ASSIGNMENT_STORE, useValue: new InMemoryAssignmentStore(events) },
          { provide: AGENTS_FLEET_EVENTS, useValue: events },
          { provide: AGENTS_RESCHEDULER, useValue: new RecordingRescheduler() },
          { provide: AGENTS_LOGGER, useValue: silentLogger },
        ],
        useFactory: () => ({ dataDir, listen: '127.0.0.1:0' }),
      }),
    ],
  })
  class App {}
  const app = await NestFactory.createApplicationContext(App, { logger: false });
  let agent: SimAgent | undefined;
  try {
    await app.init();
    const gw = app.get(AgentsGateway);
    const ca = app.get<CertificateAuthority>(AGENTS_CA);
    assert.ok(gw.port > 0);
    assert.equal(statSync(join(dataDir, 'pki', 'ca.key')).mode & 0o777, 0o600);
    agent = new SimAgent({ address: `127.0.0.1:${gw.port}`, caPem: ca.certPem, hostname: 'h' });
    await agent.register('t');
    agent.watch(0);
    await agent.waitFor((e) => e.event?.$case === 'snapshot');
    assert.equal(gw.server.hub.size, 1);
  } finally {
    agent?.close();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
