import { type JobEvent } from '@starminer/eventing';
import { commonV1, eventsV1 } from '@starminer/proto';
import { type JobCommand } from './job-commands';
import { CommandRejectedError, IllegalTransitionError } from './errors';
import { type JobState, type JobStatus, type Placement } from './job-state';

const tokens = (n: bigint): commonV1.TokenAmount => ({ baseUnits: n.toString() });

const STATE_ENUM: Record<JobStatus, commonV1.JobState> = {
  New: commonV1.JobState.JOB_STATE_UNSPECIFIED,
  Submitted: commonV1.JobState.JOB_STATE_SUBMITTED,
  Quoted: commonV1.JobState.JOB_STATE_QUOTED,
  Funded: commonV1.JobState.JOB_STATE_FUNDED,
  Queued: commonV1.JobState.JOB_STATE_QUEUED,
  Matched: commonV1.JobState.JOB_STATE_MATCHED,
  Dispatched: commonV1.JobState.JOB_STATE_DISPATCHED,
  Running: commonV1.JobState.JOB_STATE_RUNNING,
  Succeeded: commonV1.JobState.JOB_STATE_SUCCEEDED,
  Failed: commonV1.JobState.JOB_STATE_FAILED,
  TimedOut: commonV1.JobState.JOB_STATE_TIMED_OUT,
  Cancelled: commonV1.JobState.JOB_STATE_CANCELLED,
  Overflowed: commonV1.JobState.JOB_STATE_OVERFLOWED,
  Rerouted: commonV1.JobState.JOB_STATE_REROUTED,
  Expired: commonV1.JobState.JOB_STATE_EXPIRED,
  Settled: commonV1.JobState.JOB_STATE_SETTLED,
};

export function jobStateEnum(status: JobStatus): commonV1.JobState {
  return STATE_ENUM[status];
}

/** Where each command is allowed. Anything else is an illegal transition. */
const ALLOWED: Record<JobCommand['type'], readonly JobStatus[]> = {
  SubmitJob: ['New'],
  RecordQuote: ['Submitted'],
  RecordFunding: ['Quoted'],
  ExpireQuote: ['Quoted'],
  // Only before dispatch: a job on a node keeps running and settlement finds whether an escrow
  // exists (docs/matchmaker.md, Chain reorgs).
  RevertFunding: ['Funded', 'Queued', 'Matched', 'Overflowed', 'Rerouted'],
  // An overflowed job still waits in its region: it is placed there if capacity frees first.
  Match: ['Queued', 'Overflowed'],
  RecordDispatch: ['Matched'],
  DispatchFailed: ['Matched'],
  Overflow: ['Queued'],
  // Queued too: spillover spills a job early when its region is saturated or unreachable.
  Reroute: ['Queued', 'Overflowed'],
  NoteRouting: ['Queued', 'Overflowed'],
  ExpireUnplaceable: ['Overflowed'],
  RecordStart: ['Dispatched'],
  RecordSuccess: ['Dispatched', 'Running'],
  RecordFailure: ['Matched', 'Dispatched', 'Running'],
  RecordNodeLost: ['Dispatched', 'Running'],
  RecordTimeout: ['Dispatched', 'Running'],
  Cancel: [
    'Submitted',
    'Quoted',
    'Funded',
    'Queued',
    'Matched',
    'Dispatched',
    'Running',
    'Overflowed',
    'Rerouted',
  ],
  RecordSettlement: ['Succeeded', 'Failed', 'TimedOut', 'Cancelled', 'Expired'],
};

/** Observations of one attempt that arrive again (watch resyncs, redelivery) change nothing. */
// A requeued job (node lost) still gets reports about the pod it lost: those are stale too.
const AFTER_ATTEMPT: readonly JobStatus[] = [
  'Queued',
  'Overflowed',
  'Rerouted',
  'Succeeded',
  'Failed',
  'TimedOut',
  'Cancelled',
  'Expired',
  'Settled',
];
const REPEATABLE: Partial<Record<JobCommand['type'], readonly JobStatus[]>> = {
  RevertFunding: ['Quoted'],
  RecordStart: ['Running', ...AFTER_ATTEMPT],
  RecordSuccess: AFTER_ATTEMPT,
  RecordFailure: AFTER_ATTEMPT,
  RecordTimeout: AFTER_ATTEMPT,
  RecordNodeLost: AFTER_ATTEMPT,
  RecordDispatch: ['Dispatched', 'Running'],
  RecordSettlement: ['Settled'],
  ExpireQuote: ['Funded', 'Queued', 'Expired', 'Cancelled'],
  // A note that arrives after the job moved on is stale, not an error.
  NoteRouting: [
    'Matched',
    'Dispatched',
    'Running',
    'Rerouted',
    'Succeeded',
    'Failed',
    'TimedOut',
    'Cancelled',
    'Expired',
    'Settled',
  ],
};

/** Amount owed for metered GPU-seconds at the quoted price, never above the deposit. */
export function costOf(state: JobState, gpuSeconds: bigint): bigint {
  const price = state.quote?.pricePerGpuSecond ?? 0n;
  const cap = state.deposit ?? state.quote?.total ?? 0n;
  const cost = gpuSeconds * price;
  return cost > cap ? cap : cost;
}

function placementMsg(p: Placement | undefined): eventsV1.JobPlacement | undefined {
  return p ? { ...p } : undefined;
}

function usage(gpuSeconds: bigint, cost: bigint): eventsV1.JobUsage {
  return { gpuSeconds: gpuSeconds.toString(), cost: tokens(cost) };
}

/** The job's tier in a region; the product is the quote's (or, while quoting, the new quote's). */
function tier(state: JobState, region: string, gpuProduct?: string): eventsV1.JobTier {
  return {
    gpuProduct: gpuProduct ?? state.quote?.gpuProduct ?? '',
    region,
    urgency: state.spec?.urgency ?? commonV1.Urgency.URGENCY_NORMAL,
  };
}

/**
 * The Job aggregate's decider: the events a command produces in the current state, or an
 * IllegalTransitionError naming the state and where the command is allowed. An observation that
 * repeats (same attempt, already applied) or belongs to an earlier attempt yields no events.
 */
export function decide(state: JobState, command: JobCommand): JobEvent[] {
  const isObservation = 'attempt' in command;
  if (isObservation && command.attempt !== state.attempt && state.status !== 'New') return [];
  if (REPEATABLE[command.type]?.includes(state.status)) return [];
  if (!ALLOWED[command.type].includes(state.status)) {
    throw new IllegalTransitionError(command.type, state.status, ALLOWED[command.type]);
  }
  const { jobId, clientId } = state;
  switch (command.type) {
    case 'SubmitJob':
      return [
        {
          type: 'JobSubmitted',
          jobId: command.jobId,
          clientId: command.clientId,
          clientAddress: command.clientAddress,
          spec: command.spec,
          simulation: command.simulation,
          // The API has no runtime estimate yet; 0 means unknown to reputation.
          estimatedRuntimeSeconds: 0,
        },
      ];
    case 'RecordQuote': {
      const q = command.quote;
      return [
        {
          type: 'JobQuoted',
          jobId,
          clientId,
          quoteId: q.quoteId,
          // The state has no quote yet: the tier's product must come from the new quote, or the
          // job would carry an empty product and never match its quoted tier.
          tier: tier(state, q.region, q.gpuProduct),
          gpu: state.spec?.gpu,
          pricePerGpuSecond: tokens(q.pricePerGpuSecond),
          total: tokens(q.total),
          expiresAt: q.expiresAt,
          signer: q.signer,
          signature: Buffer.from(q.signature),
          escrowTier: q.escrow?.tier ?? '',
          maxGpuSeconds: (q.escrow?.maxGpuSeconds ?? 0n).toString(),
          maxDuration: (q.escrow?.maxDuration ?? 0n).toString(),
          chainId: (q.escrow?.chainId ?? 0n).toString(),
          escrow: q.escrow?.escrow ?? '',
        },
      ];
    }
    case 'RecordFunding': {
      const quote = state.quote!;
      if (command.quoteId !== quote.quoteId)
        throw new CommandRejectedError(
          `escrow of job ${jobId} was funded against quote ${command.quoteId}, not the job's quote ${quote.quoteId}`,
        );
      if (command.deposit < quote.total)
        throw new CommandRejectedError(
          `escrow of job ${jobId} holds ${command.deposit} base units, less than the quoted ${quote.total}`,
        );
      return [
        {
          type: 'JobFunded',
          jobId,
          clientId,
          deposit: tokens(command.deposit),
          escrowLog: command.escrowLog,
        },
        queued(state, quote.region, command.placementDeadline, '', ''),
      ];
    }
    case 'RevertFunding':
      return [
        {
          type: 'JobFundingReverted',
          jobId,
          clientId,
          voidedEventId: command.voidedEventId,
          escrowLog: command.escrowLog,
          previousState: STATE_ENUM[state.status],
        },
      ];
    case 'ExpireQuote':
      if (command.now < state.quote!.expiresAt)
        throw new IllegalTransitionError(
          command.type,
          state.status,
          ALLOWED.ExpireQuote,
          `quote expires at ${state.quote!.expiresAt}`,
        );
      return [
        {
          type: 'JobExpired',
          jobId,
          clientId,
          reason: eventsV1.JobExpiryReason.JOB_EXPIRY_REASON_QUOTE_EXPIRED,
          previousState: STATE_ENUM[state.status],
        },
      ];
    case 'Match':
      return [
        {
          type: 'JobMatched',
          jobId,
          clientId,
          placement: placementMsg(command.placement),
          gpu: state.spec?.gpu,
          attempt: state.attempt + 1,
          node: command.placement.node,
          score: command.score,
          weightsVersion: command.weightsVersion,
        },
      ];
    case 'RecordDispatch':
      return [
        {
          type: 'JobDispatched',
          jobId,
          placement: placementMsg(state.placement),
          kubernetesNamespace: command.namespace,
          kubernetesJobName: command.name,
          attempt: state.attempt,
        },
      ];
    case 'DispatchFailed':
      return [
        queued(state, state.placement!.region, command.placementDeadline, 'DispatchFailed', ''),
      ];
    case 'Overflow':
      if (command.now < state.placementDeadline!)
        throw new IllegalTransitionError(
          command.type,
          state.status,
          ALLOWED.Overflow,
          `placement deadline is ${state.placementDeadline}`,
        );
      return [
        {
          type: 'JobOverflowed',
          jobId,
          clientId,
          tier: tier(state, state.reroutedTo || state.quote!.region),
          gpu: state.spec?.gpu,
          latency: state.spec?.latency,
          queuedAt: command.queuedAt,
        },
      ];
    case 'Reroute': {
      if (command.expectedVersion !== command.currentVersion)
        throw new CommandRejectedError(
          `reroute of job ${jobId} was proposed at version ${command.expectedVersion}; the job is at ${command.currentVersion}`,
        );
      const mode = state.spec?.latency?.mode;
      if (mode?.$case === 'interactive') {
        if (command.rttMs === undefined || command.rttMs > mode.value.maxRttMs)
          throw new CommandRejectedError(
            `region ${command.toRegion} is ${command.rttMs ?? 'an unknown number of'} ms from ${mode.value.clientRegion}; the job allows ${mode.value.maxRttMs} ms`,
          );
      }
      const from = state.reroutedTo || state.quote!.region;
      if (command.toRegion === from)
        throw new CommandRejectedError(
          `job ${jobId} already waits in ${from}; a reroute must name another region`,
        );
      rejectAboveQuote(state, command.toRegion, command.tierPrice);
      return [
        {
          type: 'JobRerouted',
          jobId,
          proposalId: command.proposalId,
          fromRegion: from,
          toRegion: command.toRegion,
          tier: tier(state, command.toRegion),
        },
        queued(state, command.toRegion, command.placementDeadline, 'Rerouted', ''),
      ];
    }
    case 'NoteRouting':
      if (command.reason === (state.routingNote ?? '')) return [];
      return [
        {
          type: 'JobRoutingBlocked',
          jobId,
          clientId,
          region: state.reroutedTo || state.quote!.region,
          reason: command.reason,
        },
      ];
    case 'ExpireUnplaceable':
      return [
        {
          type: 'JobExpired',
          jobId,
          clientId,
          reason: eventsV1.JobExpiryReason.JOB_EXPIRY_REASON_NO_CAPACITY,
          previousState: STATE_ENUM[state.status],
        },
      ];
    case 'RecordStart':
      return [
        {
          type: 'JobStarted',
          jobId,
          placement: placementMsg({ ...state.placement!, node: command.node }),
          podName: command.podName,
          attempt: state.attempt,
          startedAt: command.startedAt,
        },
      ];
    case 'RecordSuccess':
      return [
        {
          type: 'JobSucceeded',
          jobId,
          clientId,
          placement: placementMsg(state.placement),
          usage: usage(command.gpuSeconds, costOf(state, command.gpuSeconds)),
        },
      ];
    case 'RecordFailure':
      return [
        failed(
          state,
          command.blame,
          command.reason,
          command.message,
          command.exitCode,
          command.gpuSeconds,
        ),
      ];
    case 'RecordNodeLost':
      // One more chance on another node; a second fault fails the job, refunded.
      if (state.nodeFaultRequeues < 1)
        return [
          queued(
            state,
            state.placement!.region,
            command.placementDeadline,
            'NodeLost',
            command.node,
          ),
        ];
      return [failed(state, 'node', 'NodeLost', command.message, 0, command.gpuSeconds)];
    case 'RecordTimeout':
      return [
        {
          type: 'JobTimedOut',
          jobId,
          clientId,
          placement: placementMsg(state.placement),
          usage: usage(command.gpuSeconds, costOf(state, command.gpuSeconds)),
          maxDurationSeconds: state.spec?.maxDurationSeconds ?? 0,
        },
      ];
    case 'Cancel':
      return [
        {
          type: 'JobCancelled',
          jobId,
          clientId,
          cancelledBy:
            command.by === 'client'
              ? eventsV1.JobCancelledBy.JOB_CANCELLED_BY_CLIENT
              : eventsV1.JobCancelledBy.JOB_CANCELLED_BY_OPERATOR,
          reason: command.reason,
          previousState: STATE_ENUM[state.status],
          placement: placementMsg(state.placement),
          usage: usage(command.gpuSeconds, costOf(state, command.gpuSeconds)),
        },
      ];
    case 'RecordSettlement':
      return [
        {
          type: 'JobSettled',
          jobId,
          clientId,
          outcome:
            command.outcome === 'released'
              ? eventsV1.JobSettlementOutcome.JOB_SETTLEMENT_OUTCOME_RELEASED
              : command.outcome === 'refunded'
                ? eventsV1.JobSettlementOutcome.JOB_SETTLEMENT_OUTCOME_REFUNDED
                : eventsV1.JobSettlementOutcome.JOB_SETTLEMENT_OUTCOME_RECLAIMED,
          provider: command.provider,
          usage: usage(command.gpuSeconds, command.providerPayout),
          providerPayout: tokens(command.providerPayout),
          clientRefund: tokens(command.clientRefund),
          protocolFee: tokens(command.protocolFee),
          settlementLog: command.log,
        },
      ];
  }
}

/**
 * The escrow deposit was fixed by the funded quote (one tier at one price per GPU-second), so a
 * job may only move to a region whose tier price does not exceed it. Its own quoted region needs
 * no published price: the quote is that tier's price.
 */
function rejectAboveQuote(state: JobState, toRegion: string, tierPrice: bigint | undefined): void {
  const quote = state.quote!;
  if (toRegion === quote.region) return;
  if (tierPrice === undefined)
    throw new CommandRejectedError(
      `no price is published for ${quote.gpuProduct} in ${toRegion}; a reroute must stay within the funded quote of ${quote.pricePerGpuSecond} per GPU-second`,
    );
  if (tierPrice > quote.pricePerGpuSecond)
    throw new CommandRejectedError(
      `${quote.gpuProduct} in ${toRegion} costs ${tierPrice} per GPU-second, above the funded quote of ${quote.pricePerGpuSecond}`,
    );
}

function queued(
  state: JobState,
  region: string,
  placementDeadline: string,
  reason: string,
  excludedNode: string,
): JobEvent {
  return {
    type: 'JobQueued',
    jobId: state.jobId,
    clientId: state.clientId,
    tier: tier(state, region),
    gpu: state.spec?.gpu,
    placementDeadline,
    reason,
    excludedNode,
  };
}

function failed(
  state: JobState,
  blame: 'workload' | 'node',
  reason: string,
  message: string,
  exitCode: number,
  gpuSeconds: bigint,
): JobEvent {
  // A node or provider fault is refunded in full: the client owes nothing for it.
  const cost = blame === 'node' ? 0n : costOf(state, gpuSeconds);
  return {
    type: 'JobFailed',
    jobId: state.jobId,
    clientId: state.clientId,
    placement: placementMsg(state.placement),
    usage: usage(gpuSeconds, cost),
    kind:
      blame === 'node'
        ? eventsV1.JobFailureKind.JOB_FAILURE_KIND_NODE_FAULT
        : eventsV1.JobFailureKind.JOB_FAILURE_KIND_WORKLOAD_ERROR,
    reason,
    message,
    exitCode,
  };
}
