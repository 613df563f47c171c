export {
  BROKER_STATS_TOPIC,
  canPublish,
  canSubscribe,
  canUseClientId,
  type Decision,
  type PublishDecision,
} from './acl.js';
export {
  type BrokerOptions,
  type BrokerStats,
  type ColdchainBroker,
  createBroker,
  type RefusalReason,
} from './create-broker.js';
export { type BrokerEnv, readBrokerEnv } from './env.js';
export { type Listener, listenTcp, listenWebSocket } from './listeners.js';
export { PacketSizeGuard, PacketTooLargeError } from './packet-size-guard.js';
export { createRateLimiter, type RateLimiter } from './rate-limit.js';
export { createSpool, type Spool, type SpooledMessage } from './spool.js';
export { type RunningBroker, startBroker } from './start-broker.js';
