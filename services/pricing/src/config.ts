import path from 'node:path';
import { devRoleWallet } from '@starminer/chain';
import {
  type ConfigOf,
  type EnvVar,
  defineConfig,
  oneOf,
  serviceConfigSchema,
  str,
} from '@starminer/service-kit';

/** The pricing key: a 32-byte hex private key, never shown in errors. */
function privateKey(): EnvVar<string> {
  return {
    accepted:
      'a 0x-prefixed 32-byte hex private key (default: the local-chain dev pricing key, dev account 2)',
    redact: () => '(redacted)',
    parse: (raw) => {
      if (raw === undefined || raw === '')
        return { ok: true, value: devRoleWallet('quoteSigner').privateKey };
      return /^0x[0-9a-fA-F]{64}$/.test(raw.trim())
        ? { ok: true, value: raw.trim() }
        : { ok: false, problem: 'has the wrong form' };
    },
  };
}

const schema = {
  ...serviceConfigSchema({ service: 'pricing', httpPort: 8082, grpcPort: 9092 }),
  /** Kafka bootstrap servers, comma-separated host:port. */
  KAFKA_BROKERS: str({
    pattern: /^[^,\s]+:\d+(,[^,\s]+:\d+)*$/,
    describe: 'comma-separated host:port list',
  }),
  /** Consumer group of the node and job event consumer. */
  PRICING_CONSUMER_GROUP: str({ default: 'pricing', pattern: /^[A-Za-z0-9._-]+$/ }),
  /** The pricing policy (YAML or JSON). */
  PRICING_POLICY_FILE: str({
    default: path.resolve(__dirname, '../config/pricing-policy.yaml'),
    describe: 'path of a pricing policy file',
  }),
  /** Which PricingStrategy sets the published prices. */
  PRICING_STRATEGY: oneOf(['mtp', 'flat'] as const, 'mtp'),
  /** Key that signs quotes; must hold QUOTE_SIGNER_ROLE on the JobEscrow. */
  PRICING_KEY: privateKey(),
  /** Where the contracts are (chain id and JobEscrow address for the EIP-712 domain). */
  DEPLOYMENTS_FILE: str({
    default: '/tmp/starminer-run/deployments.json',
    describe: 'path of the deployments file the contracts deploy command writes',
  }),
};

export type PricingConfig = ConfigOf<typeof schema>;

const parse = defineConfig('pricing', schema);

/** Validates the environment at boot. The only place the pricing service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): PricingConfig {
  return parse(env);
}
