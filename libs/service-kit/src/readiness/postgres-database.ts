import { Pool } from 'pg';
import { type JsonLogger } from '../logging/json-logger';
import { type ReadinessCheck } from './readiness';

export interface PostgresDatabaseOptions {
  url: string;
  /** The service's own schema: created if missing, and first on every connection's search_path. */
  schema: string;
  /** Shown in pg_stat_activity. */
  applicationName: string;
  logger: JsonLogger;
  /**
   * How long a query waits for a pooled connection (a free one, or a new one being opened).
   * A burst of requests queues for the pool rather than failing; readiness checks are bounded
   * separately by the Readiness registry's per-check timeout.
   */
  timeoutMs?: number;
  maxConnections?: number;
}

/**
 * The service's Postgres pool, confined to the service's schema (one schema per service).
 * The schema is created on boot when the database answers, and otherwise by the first
 * readiness check that reaches it, so a service started before its database becomes ready
 * on its own once the database is up.
 */
export class PostgresDatabase {
  readonly pool: Pool;
  readonly schema: string;
  private schemaReady = false;
  private readonly logger: JsonLogger;
  private readonly timeoutMs: number;

  constructor(opts: PostgresDatabaseOptions) {
    this.schema = opts.schema;
    this.logger = opts.logger;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.pool = new Pool({
      connectionString: opts.url,
      application_name: opts.applicationName,
      connectionTimeoutMillis: this.timeoutMs,
      max: opts.maxConnections ?? 10,
      // The schema is validated as a plain identifier by the config, so it needs no quoting.
      options: `-c search_path=${opts.schema},public`,
    });
    // An idle client losing its server emits 'error' on the pool: without a listener that
    // would crash the process; the next query reconnects and readiness reports the outage.
    this.pool.on('error', (err) => this.logger.warn('postgres idle client error', { err }));
  }

  /** CREATE SCHEMA IF NOT EXISTS for the service's schema. */
  async ensureSchema(): Promise<void> {
    if (this.schemaReady) return;
    await this.pool.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
    this.schemaReady = true;
    this.logger.info('postgres schema ready', { schema: this.schema });
  }

  readinessCheck(): ReadinessCheck {
    return {
      name: 'postgres',
      check: async () => {
        // Bounded by the Readiness registry's per-check timeout.
        await this.pool.query('SELECT 1');
        await this.ensureSchema();
      },
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
