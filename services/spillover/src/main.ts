import { bootstrapService } from '@starminer/service-kit';
import { spilloverService } from './service-definition';

void bootstrapService(spilloverService);
