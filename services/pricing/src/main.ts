import { bootstrapService } from '@starminer/service-kit';
import { pricingService } from './service-definition';

void bootstrapService(pricingService);
