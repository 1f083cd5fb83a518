import path from 'node:path';
import {
  type ConfigOf,
  chainRpcUrl,
  consumerGroup,
  defineConfig,
  deploymentsFile,
  int,
  kafkaConfigSchema,
  serviceConfigSchema,
  str,
} from '@starminer/service-kit';

const schema = {
  ...serviceConfigSchema({ service: 'reputation', httpPort: 8084, grpcPort: 9094 }),
  ...kafkaConfigSchema(),
  /** Consumer group of the job, node and chain event consumer. */
  REPUTATION_CONSUMER_GROUP: consumerGroup('reputation'),
  /** The model settings (YAML or JSON), validated at boot. */
  REPUTATION_MODEL_FILE: str({
    default: path.resolve(__dirname, '../config/reputation-model.yaml'),
    describe: 'path of a reputation model file',
  }),
  /** Seconds between reward epochs; 0 disables epochs. */
  REPUTATION_EPOCH_SECONDS: int({ default: 0, min: 0, max: 30 * 86_400 }),
  /** Share of the RewardDistributor's unallocated balance an epoch hands out, basis points. */
  REPUTATION_EPOCH_BUDGET_BPS: int({ default: 10_000, min: 1, max: 10_000 }),
  /** host:port of the chain-indexer's gRPC API: its signer posts the epochs' reward roots. */
  CHAIN_INDEXER_GRPC_URL: str({
    default: '127.0.0.1:9096',
    pattern: /^[^\s:/]+:\d{1,5}$/,
    describe: 'host:port of the chain-indexer gRPC API',
  }),
  /** How long an epoch run waits for its root to be on chain before the next run asks again. */
  REPUTATION_ROOT_POST_TIMEOUT_MS: int({ default: 120_000, min: 1_000, max: 3_600_000 }),
  CHAIN_RPC_URL: chainRpcUrl({ default: 'http://127.0.0.1:18545' }),
  /** The deployment whose events count and whose RewardDistributor the epochs go to. */
  DEPLOYMENTS_FILE: deploymentsFile({ default: '/tmp/starminer-run/deployments.json' }),
  /** The regions this deployment serves (config/regions.yaml's shape): node events of others are refused. */
  REGIONS_FILE: str({
    default: path.resolve(__dirname, '../../../config/regions.yaml'),
    describe: 'path of the regions file (regions and latency matrix)',
  }),
};

export type ReputationConfig = ConfigOf<typeof schema>;

const parse = defineConfig('reputation', schema);

/** Validates the environment at boot. The only place the reputation service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ReputationConfig {
  return parse(env);
}
