import 'reflect-metadata';
import { type AddressInfo } from 'node:net';
import { type Server } from 'node:http';
import {
  type DynamicModule,
  type INestApplication,
  type INestApplicationContext,
  Module,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type ServerInterceptor } from '@grpc/grpc-js';
import { protoRoot } from '@starminer/proto';
import { type ServiceConfig } from './config/service-config';
import { GrpcServer, type GrpcServiceRegistration } from './grpc/grpc-server';
import { requestMetricsMiddleware } from './http/request-metrics';
import { ServiceKitModule } from './kit.module';
import { JsonLogger } from './logging/json-logger';
import { Metrics } from './metrics/metrics';
import { PostgresDatabase } from './readiness/postgres-database';
import { Readiness, type ReadinessCheck, type ReadinessReport } from './readiness/readiness';
import { Leases } from './runtime/leases';

export interface ServiceDefinition<C extends ServiceConfig> {
  /** Service name as in services/<name>: the `service` field of every log line. */
  name: string;
  /** The service's config.ts loader: validates the environment and throws ConfigError. */
  loadConfig: () => C;
  /** The service's Nest module; it can inject JsonLogger, PostgresDatabase, Readiness, Metrics, Leases. */
  module: Type<unknown> | DynamicModule;
  /** Readiness checks besides Postgres (which every service has). */
  readinessChecks?: (ctx: { config: C; logger: JsonLogger }) => ReadinessCheck[];
  /** gRPC services the service implements, taken from its Nest container. Only real ones. */
  grpcServices?: (app: INestApplicationContext) => GrpcServiceRegistration[];
  /** Server interceptors run around every gRPC call (e.g. trace context from metadata). */
  grpcInterceptors?: ServerInterceptor[];
  /** How often readiness is re-evaluated for gRPC health; 2 s by default. */
  readinessIntervalMs?: number;
}

export interface RunningService {
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly app: INestApplication;
  /** Graceful stop: not ready, drain gRPC, close HTTP, close the pool. Idempotent. */
  stop(reason: string): Promise<void>;
}

@Module({})
class ServiceRootModule {}

/**
 * Starts one service in this process with an already validated config: Postgres pool and
 * schema, Nest HTTP app (health, readiness, metrics), gRPC server (health, reflection), and
 * readiness polling. Throws after releasing what it opened when any step fails.
 */
export async function startService<C extends ServiceConfig>(
  def: ServiceDefinition<C>,
  config: C,
  logger: JsonLogger,
): Promise<RunningService> {
  const readiness = new Readiness();
  const metrics = new Metrics(def.name);
  const leases = new Leases();
  metrics.observeLeases(leases);
  const database = new PostgresDatabase({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    applicationName: def.name,
    logger,
  });
  readiness.register(database.readinessCheck());
  for (const check of def.readinessChecks?.({ config, logger }) ?? []) readiness.register(check);

  let app: INestApplication | undefined;
  let grpc: GrpcServer | undefined;
  try {
    // A database that is not up yet is no reason to fail: readiness reports it and the
    // schema is created by the first readiness check that reaches the database.
    await database.ensureSchema().catch((err: unknown) =>
      logger.warn('postgres not reachable at boot: not ready until it is', {
        err,
        schema: config.DATABASE_SCHEMA,
      }),
    );

    const root: DynamicModule = {
      module: ServiceRootModule,
      imports: [
        ServiceKitModule.forRoot({ config, logger, database, readiness, metrics, leases }),
        def.module,
      ],
    };
    // No app-wide body parser: a service that takes request bodies parses them in its own
    // routes, so a malformed body gets that service's error shape, not a generic one.
    app = await NestFactory.create(root, { logger, abortOnError: false, bodyParser: false });
    app.use(requestMetricsMiddleware(metrics));
    await app.listen(config.HTTP_PORT);
    const httpPort = ((app.getHttpServer() as Server).address() as AddressInfo).port;

    grpc = new GrpcServer({
      logger,
      protoRoot,
      services: def.grpcServices?.(app) ?? [],
      interceptors: def.grpcInterceptors ?? [],
    });
    const grpcPort = await grpc.start(config.GRPC_PORT);

    const grpcServer = grpc;
    let wasReady: boolean | undefined;
    readiness.onChange((report: ReadinessReport) => {
      grpcServer.setServing(report.ready);
      if (report.ready !== wasReady) {
        wasReady = report.ready;
        const failing = report.checks.filter((c) => !c.ok);
        if (report.ready) logger.info('ready', { checks: readiness.names() });
        else logger.warn('not ready', { failing });
      }
    });
    readiness.startPolling(def.readinessIntervalMs ?? 2_000);
    logger.info('started', { httpPort, grpcPort, schema: config.DATABASE_SCHEMA });

    const nestApp = app;
    let stopping: Promise<void> | undefined;
    const stop = (reason: string): Promise<void> => {
      stopping ??= (async () => {
        logger.info('stopping', { reason });
        readiness.markStopping();
        await grpcServer.stop(Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2));
        await nestApp.close();
        await database.close();
        logger.info('stopped', { reason });
      })();
      return stopping;
    };
    return { httpPort, grpcPort, app: nestApp, stop };
  } catch (err) {
    readiness.markStopping();
    await grpc?.stop(0).catch(() => undefined);
    await app?.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw err;
  }
}
