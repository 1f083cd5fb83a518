import { bootstrapService } from '@starminer/service-kit';
import { registryGrpcService } from './api/registry.grpc';
import { loadConfig } from './config';
import { RegistryRuntime } from './infra/registry-runtime';
import { RegistryModule } from './registry.module';

void bootstrapService({
  name: 'registry',
  loadConfig,
  module: RegistryModule,
  grpcServices: (app) => [registryGrpcService(app.get(RegistryRuntime).queries)],
});
