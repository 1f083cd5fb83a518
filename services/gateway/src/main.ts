import { bootstrapService } from '@starminer/service-kit';
import { gatewayService } from './service-definition';

void bootstrapService(gatewayService);
