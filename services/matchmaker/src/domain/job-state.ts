import { type JobEvent } from '@starminer/eventing';
import { type commonV1, type eventsV1 } from '@starminer/proto';
import { type SimulationSpec } from './job-spec';

/** States of the Job aggregate; `New` is the empty stream. */
export type JobStatus =
  | 'New'
  | 'Submitted'
  | 'Quoted'
  | 'Funded'
  | 'Queued'
  | 'Matched'
  | 'Dispatched'
  | 'Running'
  | 'Succeeded'
  | 'Failed'
  | 'TimedOut'
  | 'Cancelled'
  | 'Overflowed'
  | 'Rerouted'
  | 'Expired'
  | 'Settled';

/** States a job leaves only by settlement. */
export const ENDED: ReadonlySet<JobStatus> = new Set([
  'Succeeded',
  'Failed',
  'TimedOut',
  'Cancelled',
  'Expired',
]);

/** States in which a Kubernetes Job may exist for the job. */
export const ON_CLUSTER: ReadonlySet<JobStatus> = new Set(['Dispatched', 'Running']);

export interface QuoteTerms {
  quoteId: string;
  gpuProduct: string;
  region: string;
  /** Token base units per GPU-second. */
  pricePerGpuSecond: bigint;
  total: bigint;
  expiresAt: string;
  signer: string;
  signature: Uint8Array;
  /** The rest of the signed EIP-712 quote (absent from quotes recorded before they were kept). */
  escrow?: EscrowQuoteTerms;
}

/** What JobEscrow.fund needs besides the fields above: tier, coverage, EIP-712 domain. */
export interface EscrowQuoteTerms {
  /** bytes32 of the tier key, 0x hex. */
  tier: string;
  maxGpuSeconds: bigint;
  maxDuration: bigint;
  chainId: bigint;
  escrow: string;
}

export interface Placement {
  provider: string;
  region: string;
  pool: string;
  node: string;
}

export interface JobState {
  status: JobStatus;
  jobId: string;
  clientId: string;
  clientAddress: string;
  spec?: commonV1.JobSpec;
  simulation?: SimulationSpec;
  quote?: QuoteTerms;
  deposit?: bigint;
  /** Spillover's reason why the waiting job cannot move (JobRoutingBlocked); cleared on a match or reroute. */
  routingNote?: string;
  /** Region matching is confined to after a reroute (empty before). */
  reroutedTo?: string;
  placementDeadline?: string;
  /** Nodes not to match again (lost under this job). */
  excludedNodes: string[];
  /** Times the job went back to the queue after a node fault. */
  nodeFaultRequeues: number;
  attempt: number;
  placement?: Placement;
  kubernetesJobName?: string;
  kubernetesNamespace?: string;
  startedAt?: string;
  gpuSeconds: bigint;
  cost: bigint;
  endReason?: string;
  /** Status before the terminal event (what settlement and cancellations look at). */
  endedFrom?: JobStatus;
  submittedAt?: string;
}

export const initialJob: JobState = {
  status: 'New',
  jobId: '',
  clientId: '',
  clientAddress: '',
  excludedNodes: [],
  nodeFaultRequeues: 0,
  attempt: 0,
  gpuSeconds: 0n,
  cost: 0n,
};

const amount = (a: commonV1.TokenAmount | undefined): bigint => BigInt(a?.baseUnits || '0');

function placementOf(p: eventsV1.JobPlacement | undefined): Placement | undefined {
  return p ? { provider: p.provider, region: p.region, pool: p.pool, node: p.node } : undefined;
}

function withUsage(state: JobState, usage: eventsV1.JobUsage | undefined): JobState {
  return { ...state, gpuSeconds: BigInt(usage?.gpuSeconds || '0'), cost: amount(usage?.cost) };
}

/** State after one event. Pure and total: it trusts the events (decide checked them). */
export function evolve(state: JobState, event: JobEvent): JobState {
  switch (event.type) {
    case 'JobSubmitted': {
      const sim = event.simulation;
      return {
        ...state,
        status: 'Submitted',
        jobId: event.jobId,
        clientId: event.clientId,
        clientAddress: event.clientAddress,
        spec: event.spec,
        simulation: sim
          ? { runtime: sim.runtime, fail: sim.fail, exitCode: sim.exitCode }
          : undefined,
      };
    }
    case 'JobQuoted':
      return {
        ...state,
        status: 'Quoted',
        quote: {
          quoteId: event.quoteId,
          gpuProduct: event.tier?.gpuProduct ?? '',
          region: event.tier?.region ?? '',
          pricePerGpuSecond: amount(event.pricePerGpuSecond),
          total: amount(event.total),
          expiresAt: event.expiresAt ?? '',
          signer: event.signer,
          signature: event.signature,
          escrow: event.escrowTier
            ? {
                tier: event.escrowTier,
                maxGpuSeconds: BigInt(event.maxGpuSeconds || '0'),
                maxDuration: BigInt(event.maxDuration || '0'),
                chainId: BigInt(event.chainId || '0'),
                escrow: event.escrow,
              }
            : undefined,
        },
      };
    case 'JobFundingReverted':
      // Back to waiting for the deposit under the same quote; a match held is released.
      return { ...state, status: 'Quoted', deposit: undefined, placement: undefined };
    case 'JobFunded':
      return { ...state, status: 'Funded', deposit: amount(event.deposit) };
    case 'JobQueued': {
      const requeuedAfterFault = event.reason === 'NodeLost';
      return {
        ...state,
        status: 'Queued',
        placementDeadline: event.placementDeadline,
        excludedNodes: event.excludedNode
          ? [...state.excludedNodes, event.excludedNode]
          : state.excludedNodes,
        nodeFaultRequeues: state.nodeFaultRequeues + (requeuedAfterFault ? 1 : 0),
        placement: undefined,
        kubernetesJobName: undefined,
        kubernetesNamespace: undefined,
        startedAt: undefined,
      };
    }
    case 'JobMatched':
      return {
        ...state,
        status: 'Matched',
        routingNote: undefined,
        attempt: event.attempt,
        placement: placementOf(event.placement),
      };
    case 'JobDispatched':
      return {
        ...state,
        status: 'Dispatched',
        kubernetesJobName: event.kubernetesJobName,
        kubernetesNamespace: event.kubernetesNamespace,
      };
    case 'JobStarted':
      return {
        ...state,
        status: 'Running',
        startedAt: event.startedAt,
        placement: placementOf(event.placement) ?? state.placement,
      };
    case 'JobSucceeded':
      return { ...withUsage(state, event.usage), status: 'Succeeded', endedFrom: state.status };
    case 'JobFailed':
      return {
        ...withUsage(state, event.usage),
        status: 'Failed',
        endReason: event.reason,
        endedFrom: state.status,
      };
    case 'JobTimedOut':
      return {
        ...withUsage(state, event.usage),
        status: 'TimedOut',
        endReason: 'DeadlineExceeded',
        endedFrom: state.status,
      };
    case 'JobCancelled':
      return {
        ...withUsage(state, event.usage),
        status: 'Cancelled',
        endReason: event.reason,
        endedFrom: state.status,
      };
    case 'JobOverflowed':
      return { ...state, status: 'Overflowed' };
    case 'JobRerouteProposed':
      return state;
    case 'JobRerouted':
      return {
        ...state,
        status: 'Rerouted',
        reroutedTo: event.toRegion,
        routingNote: undefined,
      };
    case 'JobRoutingBlocked':
      return { ...state, routingNote: event.reason };
    case 'JobExpired':
      return {
        ...state,
        status: 'Expired',
        endReason: event.reason === 1 ? 'QuoteExpired' : 'NoCapacity',
        endedFrom: state.status,
      };
    case 'JobSettled':
      return { ...state, status: 'Settled' };
  }
}
