import { type EnvVar } from './env-vars';
import { kafkaCredentialIssues } from './platform-vars';

export type ConfigSchema = Record<string, EnvVar<unknown>>;

/** The typed config object a schema yields: one read-only field per variable. */
export type ConfigOf<S extends ConfigSchema> = {
  readonly [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never;
};

export interface ConfigIssue {
  /** Environment variable name. */
  name: string;
  /** The value given (credentials redacted), or undefined when unset. */
  value: string | undefined;
  problem: string;
  accepted: string;
}

/** Every bad variable at once, so an operator fixes the environment in one go. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';

  constructor(
    readonly service: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `invalid configuration for ${service}: ${issues.length} bad environment variable${issues.length === 1 ? '' : 's'}\n` +
        issues
          .map(
            (i) =>
              `  ${i.name}=${i.value === undefined ? '(not set)' : JSON.stringify(i.value)}: ${i.problem}; accepted: ${i.accepted}`,
          )
          .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/**
 * Declares a service's configuration. The returned function validates ALL variables of an
 * environment object and either returns the typed config or throws one ConfigError listing
 * every bad variable. The environment is passed in: only a service's config.ts reads process.env.
 */
export function defineConfig<S extends ConfigSchema>(
  service: string,
  schema: S,
): (env: Readonly<Record<string, string | undefined>>) => ConfigOf<S> {
  return (env) => {
    const issues: ConfigIssue[] = [];
    const values: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(schema)) {
      const raw = env[name];
      const result = spec.parse(raw);
      if (result.ok) {
        values[name] = result.value;
      } else {
        const shown = raw === undefined ? undefined : spec.redact ? spec.redact(raw) : raw;
        issues.push({ name, value: shown, problem: result.problem, accepted: spec.accepted });
      }
    }
    // Variables that are valid alone but not together.
    if ('KAFKA_SASL_MECHANISM' in schema) issues.push(...kafkaCredentialIssues(env));
    if (issues.length > 0) throw new ConfigError(service, issues);
    return Object.freeze(values) as ConfigOf<S>;
  };
}
