import { bootstrapService } from '@starminer/service-kit';
import { matchmakerGrpc } from './api/matchmaker.grpc';
import { loadConfig } from './config';
import { MatchmakerRuntime } from './infra/runtime';
import { MatchmakerModule } from './matchmaker.module';

void bootstrapService({
  name: 'matchmaker',
  loadConfig,
  module: MatchmakerModule,
  grpcServices: (app) => [matchmakerGrpc(app.get(MatchmakerRuntime))],
});
