import { bootstrapService } from '@starminer/service-kit';
import { reputationService } from './service-definition';

void bootstrapService(reputationService);
