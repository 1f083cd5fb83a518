import { bootstrapService } from '@starminer/service-kit';
import { loadConfig } from './config';
import { MatchmakerModule } from './matchmaker.module';

void bootstrapService({ name: 'matchmaker', loadConfig, module: MatchmakerModule });
