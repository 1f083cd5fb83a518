import { type ServiceDefinition } from '@starminer/service-kit';
import { loadConfig, type PricingConfig } from './config';
import { PricingComponents, PricingModule } from './pricing.module';

/** How the pricing service starts: used by main.ts and by tests that run it in-process. */
export const pricingService: ServiceDefinition<PricingConfig> = {
  name: 'pricing',
  loadConfig,
  module: PricingModule,
  grpcServices: (app) => [app.get(PricingComponents).grpc],
};
