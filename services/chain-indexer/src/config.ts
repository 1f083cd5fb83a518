import { devRoleWallet } from '@starminer/chain';
import {
  type ConfigOf,
  chainRpcUrl,
  consumerGroup,
  defineConfig,
  deploymentsFile,
  int,
  kafkaConfigSchema,
  oneOf,
  privateKey,
  serviceConfigSchema,
} from '@starminer/service-kit';

/** anvil's dev settler key (public: local chains only; refused on any other chain at start). */
export const DEV_SETTLER_KEY = devRoleWallet('settler').privateKey;

const schema = {
  ...serviceConfigSchema({ service: 'chain-indexer', httpPort: 8086, grpcPort: 9096 }),
  /** JSON-RPC endpoint of the EVM node the indexer follows. */
  CHAIN_RPC_URL: chainRpcUrl(),
  /** Deployments file written by the contracts' deploy command: addresses and the start block. */
  DEPLOYMENTS_FILE: deploymentsFile(),
  /** Kafka of the outbox relay and the settlement consumer: brokers, the deployment's prefix, SASL. */
  ...kafkaConfigSchema(),
  /** Blocks a log must be buried under before it is mirrored and published (0 = at the head). */
  CHAIN_CONFIRMATIONS: int({ default: 2, min: 0, max: 1_000 }),
  /** Blocks under the head trusted as final when the node's `finalized` tag reports less. */
  CHAIN_FINALITY_DEPTH: int({ default: 64, min: 1, max: 100_000 }),
  /** Most blocks per eth_getLogs range and per transaction. */
  CHAIN_BATCH_BLOCKS: int({ default: 500, min: 1, max: 100_000 }),
  CHAIN_POLL_INTERVAL_MS: int({ default: 1_000, min: 10, max: 60_000 }),
  CHAIN_RPC_TIMEOUT_MS: int({ default: 10_000, min: 100, max: 120_000 }),
  /** The settler key: the only chain signing key of the platform. */
  SETTLER_PRIVATE_KEY: privateKey({ role: 'settler', default: DEV_SETTLER_KEY }),
  /** Which parts run in this process: the follower, the settlement signer, or both. */
  CHAIN_INDEXER_MODE: oneOf(['all', 'follower', 'signer'] as const, 'all'),
  SETTLEMENT_CONSUMER_GROUP: consumerGroup('chain-indexer.settlement'),
  /** A settlement transaction pending this long is replaced with higher fees. */
  SETTLEMENT_BUMP_AFTER_MS: int({ default: 30_000, min: 100, max: 3_600_000 }),
  SETTLEMENT_POLL_INTERVAL_MS: int({ default: 1_000, min: 10, max: 60_000 }),
};

export type ChainIndexerConfig = ConfigOf<typeof schema>;

const parse = defineConfig('chain-indexer', schema);

/** Validates the environment at boot. The only place the chain-indexer service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ChainIndexerConfig {
  return parse(env);
}
