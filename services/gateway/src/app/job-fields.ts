import { commonV1, type matchmakerV1 } from '@starminer/proto';
import { type IdSource } from '@starminer/service-kit';
import { type Principal, type Scope } from '../domain/api-key';
import { ApiError, invalid } from '../domain/errors';
import { type JobStateName } from '../domain/job-progress';
import { type NormalizedJob } from '../domain/job-request';

/*
 * How the job use cases read a request's fields and write what they forward: scopes, the
 * idempotency key, the simulation settings, the matchmaker's JobSpec.
 */

export const URGENCY: Record<NormalizedJob['urgency'], commonV1.Urgency> = {
  low: commonV1.Urgency.URGENCY_LOW,
  normal: commonV1.Urgency.URGENCY_NORMAL,
  high: commonV1.Urgency.URGENCY_HIGH,
  critical: commonV1.Urgency.URGENCY_CRITICAL,
};
const JOB_CLASS: Record<NormalizedJob['jobClass'], commonV1.JobClass> = {
  training: commonV1.JobClass.JOB_CLASS_TRAINING,
  inference: commonV1.JobClass.JOB_CLASS_INFERENCE,
  rendering: commonV1.JobClass.JOB_CLASS_RENDERING,
  other: commonV1.JobClass.JOB_CLASS_OTHER,
};

/** 2^256 - 1 base units: no ERC-20 amount exceeds it, so as a price cap it caps nothing. */
const NO_PRICE_CAP = ((1n << 256n) - 1n).toString();

export function toProtoSpec(j: NormalizedJob): commonV1.JobSpec {
  return {
    // The gateway expands templates itself: what it forwards is an image with its command.
    workload: { ...j.workload, template: undefined },
    gpu: j.gpu,
    jobClass: JOB_CLASS[j.jobClass],
    urgency: URGENCY[j.urgency],
    latency:
      j.latency.mode === 'batch'
        ? { mode: { $case: 'batch', value: {} } }
        : {
            mode: {
              $case: 'interactive',
              value: { clientRegion: j.latency.clientRegion, maxRttMs: j.latency.maxRttMs },
            },
          },
    regionPreference: j.regionPreference,
    // The matchmaker wants an explicit cap: "no cap" is the largest amount a token can hold.
    maxPrice: { baseUnits: j.maxPrice || NO_PRICE_CAP },
    maxDurationSeconds: j.maxDurationSeconds,
  };
}

export const stateName = (s: commonV1.JobState): JobStateName =>
  commonV1.jobStateToJSON(s).replace(/^JOB_STATE_/, '') as JobStateName;

export function requireScope(p: Principal, scope: Scope): void {
  if (!p.scopes.has(scope))
    throw new ApiError('PERMISSION_DENIED', `this API key lacks the ${scope} scope`, [
      {
        field: 'scope',
        problem: `${scope} is not granted`,
        accepted: `a key created with ${scope}`,
      },
    ]);
}

/** The request's idempotency key, or a new one from `ids` when it has none. */
export function idempotencyKeyOf(body: unknown, ids: IdSource): string {
  const raw = (body as { idempotencyKey?: unknown }).idempotencyKey;
  if (raw !== undefined && (typeof raw !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(raw)))
    throw invalid([
      {
        field: 'idempotencyKey',
        problem: 'is not valid',
        accepted: '1 to 128 letters, digits, . _ : -',
      },
    ]);
  return typeof raw === 'string' ? raw : ids.next();
}

/**
 * Optional `simulation {runtime, fail, exitCode}`: how a simulated (kwok) node runs the job's pod.
 * A local-stack feature: the matchmaker accepts it only when started with
 * SIMULATION_ANNOTATIONS=true and refuses it (400) otherwise.
 */
export function simulationOf(body: unknown): matchmakerV1.Simulation | undefined {
  const raw = (body as { simulation?: unknown }).simulation;
  if (raw === undefined) return undefined;
  const s = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const problems = [];
  if (typeof s.runtime !== 'string' || !/^\d{1,6}(ms|s|m)$/.test(s.runtime))
    problems.push({
      field: 'simulation.runtime',
      problem: `is not valid: ${JSON.stringify(s.runtime)}`,
      accepted: 'a duration such as "500ms", "5s" or "2m"',
    });
  if (s.fail !== undefined && typeof s.fail !== 'boolean')
    problems.push({
      field: 'simulation.fail',
      problem: 'is not a boolean',
      accepted: 'true or false',
    });
  const exitCode = s.exitCode ?? 1;
  if (typeof exitCode !== 'number' || !Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255)
    problems.push({
      field: 'simulation.exitCode',
      problem: `is not valid: ${JSON.stringify(s.exitCode)}`,
      accepted: 'an integer from 0 to 255',
    });
  if (problems.length) throw invalid(problems);
  return { runtime: s.runtime as string, fail: s.fail === true, exitCode: exitCode as number };
}
