import {
  Inject,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { type Pool } from 'pg';
import { SERVICE_CONFIG } from '../kit.module';
import { JsonLogger } from '../logging/json-logger';
import { BackgroundStart } from '../readiness/background-start';
import { PostgresDatabase } from '../readiness/postgres-database';
import { Readiness, type ReadinessCheck } from '../readiness/readiness';
import { Leases, type LeaseTenure } from './leases';

/**
 * A service's moving parts behind one object: `prepare` needs only Postgres (migrations) and is
 * retried until it answers, `start` runs once after it, `stop` undoes both.
 */
export interface BackgroundRuntime {
  prepare(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  readiness(): ReadinessCheck[];
  /** The singletons it runs under a lease, by lease name: reported on /leases and in metrics. */
  leases?(): Record<string, () => LeaseTenure>;
}

/**
 * Nest providers that build a runtime from the validated config, the pool and the logger, register
 * its readiness checks, start it once Nest is up without holding the boot while Postgres is down
 * (readiness reports `startup` meanwhile), and stop it before the pool closes.
 */
export function backgroundRuntimeProviders<R extends BackgroundRuntime, C>(
  token: abstract new (...args: never[]) => R,
  create: (config: C, pool: Pool, logger: JsonLogger) => R,
): Provider[] {
  class RuntimeLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
    private readonly startup: BackgroundStart;

    constructor(
      @Inject(token) private readonly runtime: R,
      @Inject(Readiness) readiness: Readiness,
      @Inject(JsonLogger) logger: JsonLogger,
      @Inject(Leases) leases: Leases,
    ) {
      this.startup = new BackgroundStart('startup', logger);
      readiness.register(this.startup.readiness());
      for (const [name, tenure] of Object.entries(runtime.leases?.() ?? {}))
        leases.register(name, tenure);
    }

    onApplicationBootstrap(): void {
      this.startup.run(
        () => this.runtime.prepare(),
        () => this.runtime.start(),
      );
    }

    async onApplicationShutdown(): Promise<void> {
      await this.startup.stop();
      await this.runtime.stop();
    }
  }

  return [
    {
      provide: token,
      inject: [SERVICE_CONFIG, PostgresDatabase, JsonLogger, Readiness],
      useFactory: (config: C, db: PostgresDatabase, logger: JsonLogger, readiness: Readiness) => {
        const runtime = create(config, db.pool, logger);
        for (const check of runtime.readiness()) readiness.register(check);
        return runtime;
      },
    },
    RuntimeLifecycle,
  ];
}
