import { type ConfigOf } from './define-config';
import { int, oneOf, port, sqlIdentifier, url } from './env-vars';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** chain-indexer -> chain_indexer: the service's default Postgres schema. */
export function schemaNameOf(service: string): string {
  return service.replace(/-/g, '_');
}

/**
 * Variables every service has: its two ports, its Postgres database and schema (one schema per
 * service), log level and how long a graceful stop may take. A service spreads this into its
 * own schema and adds what only it uses.
 */
export function serviceConfigSchema(opts: { service: string; httpPort: number; grpcPort: number }) {
  return {
    HTTP_PORT: port({ default: opts.httpPort }),
    GRPC_PORT: port({ default: opts.grpcPort }),
    DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }),
    DATABASE_SCHEMA: sqlIdentifier({ default: schemaNameOf(opts.service) }),
    LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
    SHUTDOWN_TIMEOUT_MS: int({ default: 10_000, min: 0, max: 300_000 }),
  };
}

export type ServiceConfig = ConfigOf<ReturnType<typeof serviceConfigSchema>>;
