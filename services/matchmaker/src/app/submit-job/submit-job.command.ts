import { type commonV1 } from '@starminer/proto';
import { type SimulationSpec } from '../../domain/job-spec';

export interface SubmitJobCommand {
  idempotencyKey: string;
  clientAddress: string;
  clientId: string;
  spec: commonV1.JobSpec | undefined;
  simulation?: SimulationSpec;
}
