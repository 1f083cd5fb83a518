import { type ServiceDefinition } from '@starminer/service-kit';
import { spilloverGrpc } from './api/spillover.grpc';
import { loadConfig, type SpilloverConfig } from './config';
import { SpilloverRuntime } from './infra/spillover-runtime';
import { SpilloverModule } from './spillover.module';

/** How the spillover service starts: used by main.ts and by tests that run it in-process. */
export const spilloverService: ServiceDefinition<SpilloverConfig> = {
  name: 'spillover',
  loadConfig,
  module: SpilloverModule,
  grpcServices: (app) => {
    const runtime = app.get(SpilloverRuntime);
    return [spilloverGrpc(() => runtime.currentPlan())];
  },
};
