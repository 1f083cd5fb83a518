import { type ConfigOf, defineConfig, serviceConfigSchema } from '@starminer/service-kit';

const schema = {
  ...serviceConfigSchema({ service: 'gateway', httpPort: 8080, grpcPort: 9090 }),
};

export type GatewayConfig = ConfigOf<typeof schema>;

const parse = defineConfig('gateway', schema);

/** Validates the environment at boot. The only place the gateway service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): GatewayConfig {
  return parse(env);
}
