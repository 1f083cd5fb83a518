export { bootstrapService } from './bootstrap';
export { startService, type RunningService, type ServiceDefinition } from './start-service';
export {
  defineConfig,
  ConfigError,
  type ConfigIssue,
  type ConfigOf,
  type ConfigSchema,
} from './config/define-config';
export {
  int,
  oneOf,
  port,
  redactUrl,
  sqlIdentifier,
  str,
  url,
  type EnvVar,
} from './config/env-vars';
export {
  LOG_LEVELS,
  schemaNameOf,
  serviceConfigSchema,
  type LogLevel,
  type ServiceConfig,
} from './config/service-config';
export { JsonLogger, serializeError, type LogFields } from './logging/json-logger';
export {
  Readiness,
  withTimeout,
  type ReadinessCheck,
  type ReadinessReport,
} from './readiness/readiness';
export { PostgresDatabase } from './readiness/postgres-database';
export { Metrics } from './metrics/metrics';
export { GrpcServer, type GrpcServiceRegistration } from './grpc/grpc-server';
export { ServiceKitModule, SERVICE_CONFIG } from './kit.module';
export {
  chainRpcUrl,
  consumerGroup,
  deploymentsFile,
  kafkaBrokers,
  kafkaBusOptions,
  kafkaConfigSchema,
  privateKey,
  type KafkaConnectionConfig,
} from './config/platform-vars';
export { BackgroundStart } from './readiness/background-start';
export { unaryHandler } from './grpc/unary-handler';
export { Leases, NOT_STARTED, type LeaseReport, type LeaseTenure } from './runtime/leases';
export { backgroundRuntimeProviders, type BackgroundRuntime } from './runtime/background-runtime';
export { readRegionsFile, type RegionsFile } from './config/regions-file';
export { ManualClock, systemClock, type Clock } from './time/clock';
export { SequentialIds, uuidV7Ids, type IdSource } from './time/ids';
