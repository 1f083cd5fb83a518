import { type ConfigOf, defineConfig, serviceConfigSchema } from '@starminer/service-kit';

const schema = {
  ...serviceConfigSchema({ service: 'spillover', httpPort: 8085, grpcPort: 9095 }),
};

export type SpilloverConfig = ConfigOf<typeof schema>;

const parse = defineConfig('spillover', schema);

/** Validates the environment at boot. The only place the spillover service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SpilloverConfig {
  return parse(env);
}
