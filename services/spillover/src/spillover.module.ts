import {
  Inject,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  BackgroundStart,
  JsonLogger,
  PostgresDatabase,
  Readiness,
  SERVICE_CONFIG,
} from '@starminer/service-kit';
import { type SpilloverConfig } from './config';
import { SpilloverRuntime } from './infra/spillover-runtime';

/**
 * Starts the runtime once Nest is up, without holding the boot while Postgres is down (readiness
 * reports `startup` meanwhile), and stops it before the pool closes.
 */
class RuntimeLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly startup: BackgroundStart;

  constructor(
    @Inject(SpilloverRuntime) private readonly runtime: SpilloverRuntime,
    @Inject(Readiness) readiness: Readiness,
    @Inject(JsonLogger) logger: JsonLogger,
  ) {
    this.startup = new BackgroundStart('startup', logger);
    readiness.register(this.startup.readiness());
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

/**
 * The spillover service. Health, readiness, metrics, the Postgres pool and the gRPC server come
 * from @starminer/service-kit; the runtime holds the read model, the planner and the probes.
 */
@Module({
  providers: [
    {
      provide: SpilloverRuntime,
      inject: [SERVICE_CONFIG, PostgresDatabase, JsonLogger, Readiness],
      useFactory: (
        config: SpilloverConfig,
        db: PostgresDatabase,
        logger: JsonLogger,
        readiness: Readiness,
      ) => {
        const runtime = new SpilloverRuntime(config, db.pool, logger);
        for (const check of runtime.readiness()) readiness.register(check);
        return runtime;
      },
    },
    RuntimeLifecycle,
  ],
})
export class SpilloverModule {}
