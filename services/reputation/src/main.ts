import { bootstrapService } from '@starminer/service-kit';
import { loadConfig } from './config';
import { ReputationModule } from './reputation.module';

void bootstrapService({ name: 'reputation', loadConfig, module: ReputationModule });
