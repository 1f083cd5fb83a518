import { bootstrapService } from '@starminer/service-kit';
import { loadConfig } from './config';
import { PricingModule } from './pricing.module';

void bootstrapService({ name: 'pricing', loadConfig, module: PricingModule });
