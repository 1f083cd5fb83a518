import { type ServiceDefinition } from '@starminer/service-kit';
import { jobServiceGrpc } from './api/grpc/job-service.grpc';
import { type GatewayConfig, loadConfig } from './config';
import { GatewayComponents, GatewayModule } from './gateway.module';

/** How the gateway starts: used by main.ts and by tests that run it in-process. */
export const gatewayService: ServiceDefinition<GatewayConfig> = {
  name: 'gateway',
  loadConfig,
  module: GatewayModule,
  // The public JobService over the same use cases as the REST API.
  grpcServices: (app) => {
    const c = app.get(GatewayComponents);
    return [jobServiceGrpc({ jobs: c.jobs, auth: c.auth })];
  },
};
