import { Module } from '@nestjs/common';
import { Runtime } from '@berth/runtime';
import { AGENT_CONFIG, type AgentConfig } from '../config/config.js';

export const RUNTIME = Symbol('RUNTIME');

/** Wraps @berth/runtime (which knows nothing of NestJS) as an injectable provider. */
@Module({
  providers: [
    {
      provide: RUNTIME,
      inject: [AGENT_CONFIG],
      useFactory: (config: AgentConfig) => new Runtime({ root: config.stateRoot }),
    },
  ],
  exports: [RUNTIME],
})
export class RuntimeModule {}
