import { type ConfigOf, defineConfig, serviceConfigSchema } from '@starminer/service-kit';

const schema = {
  ...serviceConfigSchema({ service: 'matchmaker', httpPort: 8081, grpcPort: 9091 }),
};

export type MatchmakerConfig = ConfigOf<typeof schema>;

const parse = defineConfig('matchmaker', schema);

/** Validates the environment at boot. The only place the matchmaker service reads process.env. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): MatchmakerConfig {
  return parse(env);
}
