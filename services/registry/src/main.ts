import { bootstrapService } from '@starminer/service-kit';
import { loadConfig } from './config';
import { RegistryModule } from './registry.module';

void bootstrapService({ name: 'registry', loadConfig, module: RegistryModule });
