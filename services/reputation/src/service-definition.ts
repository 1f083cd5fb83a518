import { type ServiceDefinition } from '@starminer/service-kit';
import { loadConfig, type ReputationConfig } from './config';
import { ReputationComponents, ReputationModule } from './reputation.module';

/** How the reputation service starts: used by main.ts and by tests that run it in-process. */
export const reputationService: ServiceDefinition<ReputationConfig> = {
  name: 'reputation',
  loadConfig,
  module: ReputationModule,
  grpcServices: (app) => [app.get(ReputationComponents).grpc],
};
