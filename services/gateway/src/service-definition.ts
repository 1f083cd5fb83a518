import { type ServiceDefinition } from '@starminer/service-kit';
import { type GatewayConfig, loadConfig } from './config';
import { GatewayModule } from './gateway.module';

/** How the gateway starts: used by main.ts and by tests that run it in-process. */
export const gatewayService: ServiceDefinition<GatewayConfig> = {
  name: 'gateway',
  loadConfig,
  module: GatewayModule,
};
