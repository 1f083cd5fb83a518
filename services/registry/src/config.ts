import { type ConfigOf, defineConfig, serviceConfigSchema } from '@starminer/service-kit';

const schema = {
  ...serviceConfigSchema({ service: 'registry', httpPort: 8083, grpcPort: 9093 }),
};

export type RegistryConfig = ConfigOf<typeof schema>;

const parse = defineConfig('registry', schema);

/** Validates the environment at boot. The only place the registry service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RegistryConfig {
  return parse(env);
}
