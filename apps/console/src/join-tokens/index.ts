export { JoinTokensModule } from './join-tokens.module.js';
export { JoinTokensService, JOIN_TOKEN_PREFIX } from './join-tokens.service.js';
export type { CreatedJoinToken, JoinToken, JoinTokenRejection } from './join-tokens.types.js';
