import { type ConfigOf, defineConfig, serviceConfigSchema } from '@starminer/service-kit';

const schema = {
  ...serviceConfigSchema({ service: 'pricing', httpPort: 8082, grpcPort: 9092 }),
};

export type PricingConfig = ConfigOf<typeof schema>;

const parse = defineConfig('pricing', schema);

/** Validates the environment at boot. The only place the pricing service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): PricingConfig {
  return parse(env);
}
