import { type commonV1, type eventsV1 } from '@starminer/proto';
import { type SimulationSpec } from './job-spec';
import { type Placement, type QuoteTerms } from './job-state';

/**
 * Commands and observations the Job aggregate decides on. Observations from Kubernetes carry
 * the attempt they were seen for, so one from an earlier attempt is recognised as stale.
 * Times are RFC 3339 strings passed in (the domain reads no clock).
 */
export type JobCommand =
  | {
      type: 'SubmitJob';
      jobId: string;
      clientId: string;
      clientAddress: string;
      spec: commonV1.JobSpec;
      simulation?: SimulationSpec;
    }
  | { type: 'RecordQuote'; quote: QuoteTerms }
  | {
      type: 'RecordFunding';
      quoteId: string;
      deposit: bigint;
      escrowLog?: eventsV1.ChainLogRef;
      placementDeadline: string;
    }
  | { type: 'ExpireQuote'; now: string }
  /** A chain reorg voided the EscrowFunded this job was funded by (before dispatch). */
  | { type: 'RevertFunding'; voidedEventId: string; escrowLog?: eventsV1.ChainLogRef }
  | { type: 'Match'; placement: Placement; score: number; weightsVersion: number }
  | { type: 'RecordDispatch'; namespace: string; name: string }
  | { type: 'DispatchFailed'; reason: string; placementDeadline: string }
  | { type: 'Overflow'; now: string; queuedAt: string }
  | {
      type: 'Reroute';
      proposalId: string;
      toRegion: string;
      expectedVersion: number;
      currentVersion: number;
      /** Round trip from the client's region to toRegion (latency matrix). */
      rttMs: number | undefined;
      /** Published price of the job's tier in toRegion (undefined: none published). */
      tierPrice: bigint | undefined;
      placementDeadline: string;
    }
  | { type: 'NoteRouting'; reason: string }
  | {
      type: 'ExpireUnplaceable';
      now: string;
    }
  | { type: 'RecordStart'; attempt: number; podName: string; node: string; startedAt: string }
  | { type: 'RecordSuccess'; attempt: number; gpuSeconds: bigint }
  | {
      type: 'RecordFailure';
      attempt: number;
      /** workload: the client's code failed; node: the node or provider did. */
      blame: 'workload' | 'node';
      reason: string;
      message: string;
      exitCode: number;
      gpuSeconds: bigint;
    }
  | {
      type: 'RecordNodeLost';
      attempt: number;
      node: string;
      message: string;
      gpuSeconds: bigint;
      placementDeadline: string;
    }
  | { type: 'RecordTimeout'; attempt: number; gpuSeconds: bigint }
  | { type: 'Cancel'; by: 'client' | 'operator'; reason: string; gpuSeconds: bigint }
  | {
      type: 'RecordSettlement';
      outcome: 'released' | 'refunded' | 'reclaimed';
      provider: string;
      gpuSeconds: bigint;
      providerPayout: bigint;
      clientRefund: bigint;
      protocolFee: bigint;
      log?: eventsV1.ChainLogRef;
    };

export type JobCommandType = JobCommand['type'];
