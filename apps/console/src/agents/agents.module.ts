/**
 * Nest wiring of the agents domain. The app supplies implementations of the ports (Prisma
 * repositories, the fleet event bus, the workloads rescheduler, a logger) under the tokens
 * below, and the listener options; the module loads or creates the CA in the data dir, starts
 * the gRPC listener when the application boots and stops it on shutdown.
 *
 *   AgentsModule.register({
 *     imports: [DatabaseModule],
 *     providers: [
 *       { provide: AGENTS_NODE_STORE, useClass: PrismaNodeStore }, ...
 *     ],
 *     inject: [CONSOLE_CONFIG],
 *     useFactory: (c: ConsoleConfig) => ({ dataDir: c.dataDir, listen: `${c.grpcListen.host}:${c.grpcListen.port}` }),
 *   })
 */
import { Inject, Injectable, Module, type DynamicModule, type FactoryProvider, type ModuleMetadata, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { CertificateAuthority } from '../pki/index.js';
import type { AgentsLogger } from './logger.js';
import { AgentsServer, type AgentsServerOptions } from './agents.server.js';
import type { AssignmentStore, FleetEventSource, JoinTokenStore, NodeStore, Rescheduler } from './ports.js';

export const AGENTS_NODE_STORE = Symbol.for('berth.agents.NodeStore');
export const AGENTS_JOIN_TOKEN_STORE = Symbol.for('berth.agents.JoinTokenStore');
export const AGENTS_ASSIGNMENT_STORE = Symbol.for('berth.agents.AssignmentStore');
export const AGENTS_FLEET_EVENTS = Symbol.for('berth.agents.FleetEventSource');
export const AGENTS_RESCHEDULER = Symbol.for('berth.agents.Rescheduler');
export const AGENTS_LOGGER = Symbol.for('berth.agents.Logger');
export const AGENTS_OPTIONS = Symbol.for('berth.agents.Options');
export const AGENTS_CA = Symbol.for('berth.agents.CertificateAuthority');

export interface AgentsOptions extends AgentsServerOptions {
  /** The CA lives in `<dataDir>/pki`. */
  dataDir: string;
}

export interface AgentsModuleConfig {
  imports?: ModuleMetadata['imports'];
  /** Providers for the six port tokens (AGENTS_NODE_STORE ... AGENTS_LOGGER). */
  providers: Provider[];
  useFactory: (...args: never[]) => AgentsOptions | Promise<AgentsOptions>;
  inject?: FactoryProvider['inject'];
}

/** The running listener; inject it to open relays (`server.relay`) or read `server.hub.size`. */
@Injectable()
export class AgentsGateway implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly server: AgentsServer;
  port = 0;

  constructor(
    @Inject(AGENTS_OPTIONS) private readonly options: AgentsOptions,
    @Inject(AGENTS_CA) ca: CertificateAuthority,
    @Inject(AGENTS_NODE_STORE) nodes: NodeStore,
    @Inject(AGENTS_JOIN_TOKEN_STORE) tokens: JoinTokenStore,
    @Inject(AGENTS_ASSIGNMENT_STORE) assignments: AssignmentStore,
    @Inject(AGENTS_FLEET_EVENTS) events: FleetEventSource,
    @Inject(AGENTS_RESCHEDULER) rescheduler: Rescheduler,
    @Inject(AGENTS_LOGGER) log: AgentsLogger,
  ) {
    this.server = new AgentsServer({ ca, nodes, tokens, assignments, events, rescheduler, log }, options);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.port = await this.server.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.stop();
  }
}

@Module({})
export class AgentsModule {
  static register(config: AgentsModuleConfig): DynamicModule {
    return {
      module: AgentsModule,
      imports: config.imports ?? [],
      providers: [
        ...config.providers,
        { provide: AGENTS_OPTIONS, useFactory: config.useFactory, inject: config.inject ?? [] },
        { provide: AGENTS_CA, useFactory: (o: AgentsOptions) => CertificateAuthority.loadOrCreate(o.dataDir), inject: [AGENTS_OPTIONS] },
        AgentsGateway,
      ],
      exports: [AgentsGateway, AGENTS_CA],
    };
  }
}
