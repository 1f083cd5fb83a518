import path from 'node:path';
import { devRoleWallet } from '@starminer/chain';
import {
  type ConfigOf,
  type EnvVar,
  defineConfig,
  int,
  serviceConfigSchema,
  str,
} from '@starminer/service-kit';

/** The validator key: a 32-byte hex private key, never shown in errors. */
function privateKey(): EnvVar<string> {
  return {
    accepted:
      'a 0x-prefixed 32-byte hex private key (default: the local-chain dev validator key, dev account 3)',
    redact: () => '(redacted)',
    parse: (raw) => {
      if (raw === undefined || raw === '')
        return { ok: true, value: devRoleWallet('validator').privateKey };
      return /^0x[0-9a-fA-F]{64}$/.test(raw.trim())
        ? { ok: true, value: raw.trim() }
        : { ok: false, problem: 'has the wrong form' };
    },
  };
}

const schema = {
  ...serviceConfigSchema({ service: 'reputation', httpPort: 8084, grpcPort: 9094 }),
  /** Kafka bootstrap servers, comma-separated host:port. */
  KAFKA_BROKERS: str({
    pattern: /^[^,\s]+:\d+(,[^,\s]+:\d+)*$/,
    describe: 'comma-separated host:port list',
  }),
  /** Consumer group of the job, node and chain event consumer. */
  REPUTATION_CONSUMER_GROUP: str({ default: 'reputation', pattern: /^[A-Za-z0-9._-]+$/ }),
  /** The model settings (YAML or JSON), validated at boot. */
  REPUTATION_MODEL_FILE: str({
    default: path.resolve(__dirname, '../config/reputation-model.yaml'),
    describe: 'path of a reputation model file',
  }),
  /** Seconds between reward epochs; 0 disables epochs. */
  REPUTATION_EPOCH_SECONDS: int({ default: 0, min: 0, max: 30 * 86_400 }),
  /** Share of the RewardDistributor's unallocated balance an epoch hands out, basis points. */
  REPUTATION_EPOCH_BUDGET_BPS: int({ default: 10_000, min: 1, max: 10_000 }),
  /** Key holding VALIDATOR_ROLE on the RewardDistributor, used by the RewardRootPoster. */
  REPUTATION_VALIDATOR_KEY: privateKey(),
  CHAIN_RPC_URL: str({
    default: 'http://127.0.0.1:18545',
    pattern: /^https?:\/\/\S+$/,
    describe: 'http(s) JSON-RPC URL',
  }),
  DEPLOYMENTS_FILE: str({
    default: '/tmp/starminer-run/deployments.json',
    describe: 'path of the deployments file the contracts deploy command writes',
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
