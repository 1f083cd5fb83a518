import { type Evidence, type FaultCause, type IgnoredCause } from './evidence';
import { type ReputationModel } from './model-config';

/** What the service remembers about a job between its events (from JobSubmitted onwards). */
export interface JobFacts {
  jobId: string;
  /** Wallet that funds the job; equal to the provider's wallet means self-dealing. */
  clientAddress: string;
  gpuCount: number;
  maxDurationSeconds: number;
  /** Expected runtime, 0 when nobody estimated it. */
  estimatedRuntimeSeconds: number;
  dispatchedAtMs?: number;
  startedAtMs?: number;
}

export interface Placement {
  provider: string;
  region: string;
  pool: string;
  node: string;
}

export type JobTerminal =
  | { type: 'succeeded'; gpuSeconds: number }
  | { type: 'failed'; gpuSeconds: number; providerFault: boolean; reason: string }
  | { type: 'timed-out'; gpuSeconds: number; maxDurationSeconds: number }
  | { type: 'cancelled'; gpuSeconds: number };

export interface EventRef {
  eventId: string;
  atMs: number;
}

/** A job's own wallet paying its own provider: its outcomes must not move the score. */
export function isSelfDealing(facts: JobFacts | undefined, provider: string): boolean {
  return (
    !!facts &&
    facts.clientAddress !== '' &&
    facts.clientAddress.toLowerCase() === provider.toLowerCase()
  );
}

/** Outcome weight in units: GPU-seconds / unit, capped, so tiny jobs weigh next to nothing. */
export function outcomeWeight(gpuSeconds: number, model: ReputationModel): number {
  return Math.min(model.maxJobWeight, Math.max(0, gpuSeconds) / model.unitGpuSeconds);
}

/**
 * GPU-seconds a job was expected to take: GPUs x the estimate, or x the time limit when nobody
 * estimated it. 0 when the job's facts are unknown.
 */
export function expectedGpuSeconds(facts: JobFacts | undefined): number {
  if (!facts) return 0;
  const seconds =
    facts.estimatedRuntimeSeconds > 0 ? facts.estimatedRuntimeSeconds : facts.maxDurationSeconds;
  return Math.max(0, facts.gpuCount) * Math.max(0, seconds);
}

/**
 * A fault costs the job it lost: the larger of the GPU-seconds it ran and the GPU-seconds it was
 * expected to take (the client reruns the whole job, and what ran before the loss is wasted), capped
 * like a success and never less than minFaultWeight. A job lost early therefore weighs as much as
 * the same job completed, so failing early is not cheaper than failing late or never starting.
 */
export function faultWeight(
  gpuSeconds: number,
  facts: JobFacts | undefined,
  model: ReputationModel,
): number {
  const basis = Math.max(gpuSeconds, expectedGpuSeconds(facts));
  return Math.max(model.minFaultWeight, outcomeWeight(basis, model));
}

function faultCause(
  t: JobTerminal,
  facts: JobFacts | undefined,
  model: ReputationModel,
): FaultCause | IgnoredCause {
  const neverStarted = facts !== undefined && facts.startedAtMs === undefined && t.gpuSeconds === 0;
  switch (t.type) {
    case 'failed':
      if (!t.providerFault) return 'workload-error';
      if (t.reason === 'NodeLost') return 'node-lost';
      return neverStarted ? 'pod-never-started' : 'node-fault';
    case 'timed-out': {
      // The workload had its full limit and did not finish: its own doing. It is the provider's
      // when the pod never ran or ran for much less than the limit (slow start, stalled node).
      if (neverStarted) return 'pod-never-started';
      const gpus = Math.max(1, facts?.gpuCount ?? 1);
      const ranSeconds = t.gpuSeconds / gpus;
      const limit = t.maxDurationSeconds || facts?.maxDurationSeconds || 0;
      return limit > 0 && ranSeconds < model.timeoutHealthyRunShare * limit
        ? 'timed-out-healthy'
        : 'workload-timeout';
    }
    default:
      return 'cancelled';
  }
}

/** Evidence a job's terminal event yields for the provider that ran it. */
export function outcomeEvidence(
  ref: EventRef,
  placement: Placement,
  terminal: JobTerminal,
  facts: JobFacts | undefined,
  model: ReputationModel,
): Evidence[] {
  const base = {
    ...ref,
    provider: placement.provider,
    pool: `${placement.region}/${placement.pool}`,
    jobId: facts?.jobId,
  };
  if (isSelfDealing(facts, placement.provider))
    return [{ ...base, kind: 'ignored', cause: 'self-dealing' }];
  if (terminal.type === 'succeeded') {
    const out: Evidence[] = [
      {
        ...base,
        kind: 'success',
        weight: outcomeWeight(terminal.gpuSeconds, model),
        gpuSeconds: terminal.gpuSeconds,
      },
    ];
    if (facts && facts.estimatedRuntimeSeconds > 0 && terminal.gpuSeconds > 0) {
      const runSeconds = terminal.gpuSeconds / Math.max(1, facts.gpuCount);
      out.push({ ...base, kind: 'runtime', ratio: runSeconds / facts.estimatedRuntimeSeconds });
    }
    return out;
  }
  const cause = faultCause(terminal, facts, model);
  if (
    cause === 'workload-error' ||
    cause === 'workload-timeout' ||
    cause === 'cancelled' ||
    cause === 'self-dealing'
  )
    return [{ ...base, kind: 'ignored', cause }];
  return [
    {
      ...base,
      kind: 'fault',
      cause,
      weight: faultWeight(terminal.gpuSeconds, facts, model),
      gpuSeconds: terminal.gpuSeconds,
    },
  ];
}

/** Start latency evidence when the pod starts running (none for self-dealing or unknown dispatch). */
export function startupEvidence(
  ref: EventRef,
  placement: Placement,
  facts: JobFacts | undefined,
  startedAtMs: number,
): Evidence[] {
  if (!facts?.dispatchedAtMs || isSelfDealing(facts, placement.provider)) return [];
  const seconds = Math.max(0, (startedAtMs - facts.dispatchedAtMs) / 1000);
  return [
    {
      ...ref,
      provider: placement.provider,
      pool: `${placement.region}/${placement.pool}`,
      jobId: facts.jobId,
      kind: 'startup',
      seconds,
    },
  ];
}
