import { type ConfigOf, defineConfig, serviceConfigSchema } from '@starminer/service-kit';

const schema = {
  ...serviceConfigSchema({ service: 'reputation', httpPort: 8084, grpcPort: 9094 }),
};

export type ReputationConfig = ConfigOf<typeof schema>;

const parse = defineConfig('reputation', schema);

/** Validates the environment at boot. The only place the reputation service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ReputationConfig {
  return parse(env);
}
