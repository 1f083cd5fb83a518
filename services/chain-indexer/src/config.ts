import { type ConfigOf, defineConfig, serviceConfigSchema, url } from '@starminer/service-kit';

const schema = {
  ...serviceConfigSchema({ service: 'chain-indexer', httpPort: 8086, grpcPort: 9096 }),
  /** JSON-RPC endpoint of the EVM node the indexer follows. */
  CHAIN_RPC_URL: url({ protocols: ['http', 'https'] }),
};

export type ChainIndexerConfig = ConfigOf<typeof schema>;

const parse = defineConfig('chain-indexer', schema);

/** Validates the environment at boot. The only place the chain-indexer service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ChainIndexerConfig {
  return parse(env);
}
