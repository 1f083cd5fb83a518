import { bootstrapService } from '@starminer/service-kit';
import { loadConfig } from './config';
import { GatewayModule } from './gateway.module';

void bootstrapService({ name: 'gateway', loadConfig, module: GatewayModule });
