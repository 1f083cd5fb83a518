import path from 'node:path';
import { devRoleWallet } from '@starminer/chain';
import {
  type ConfigOf,
  consumerGroup,
  defineConfig,
  deploymentsFile,
  kafkaConfigSchema,
  oneOf,
  privateKey,
  serviceConfigSchema,
  str,
} from '@starminer/service-kit';

const schema = {
  ...serviceConfigSchema({ service: 'pricing', httpPort: 8082, grpcPort: 9092 }),
  ...kafkaConfigSchema(),
  /** Consumer group of the node and job event consumer. */
  PRICING_CONSUMER_GROUP: consumerGroup('pricing'),
  /** The pricing policy (YAML or JSON). */
  PRICING_POLICY_FILE: str({
    default: path.resolve(__dirname, '../config/pricing-policy.yaml'),
    describe: 'path of a pricing policy file',
  }),
  /** Which PricingStrategy sets the published prices. */
  PRICING_STRATEGY: oneOf(['mtp', 'flat'] as const, 'mtp'),
  /** Key that signs quotes; must hold QUOTE_SIGNER_ROLE on the JobEscrow. */
  PRICING_KEY: privateKey({ role: 'pricing', default: devRoleWallet('quoteSigner').privateKey }),
  /** Where the contracts are (chain id and JobEscrow address for the EIP-712 domain). */
  DEPLOYMENTS_FILE: deploymentsFile({ default: '/tmp/starminer-run/deployments.json' }),
  /**
   * The regions this deployment serves (config/regions.yaml's shape). Node events of any other
   * region are refused and never priced; a quote naming one is refused.
   */
  REGIONS_FILE: str({
    default: path.resolve(__dirname, '../../../config/regions.yaml'),
    describe: 'path of the regions file (regions and latency matrix)',
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
