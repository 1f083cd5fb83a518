import { bootstrapService } from '@starminer/service-kit';
import { loadConfig } from './config';
import { SpilloverModule } from './spillover.module';

void bootstrapService({ name: 'spillover', loadConfig, module: SpilloverModule });
