/** Job states as the public API names them (the common.v1 JobState enum without the prefix). */
export const JOB_STATES = [
  'SUBMITTED',
  'QUOTED',
  'FUNDED',
  'QUEUED',
  'MATCHED',
  'DISPATCHED',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'CANCELLED',
  'SETTLED',
  'OVERFLOWED',
  'EXPIRED',
  'REROUTED',
] as const;
export type JobStateName = (typeof JOB_STATES)[number];

/** The state each job event moves a job to. */
export const STATE_AFTER_EVENT: Readonly<Record<string, JobStateName>> = {
  JobSubmitted: 'SUBMITTED',
  JobQuoted: 'QUOTED',
  JobFunded: 'FUNDED',
  JobQueued: 'QUEUED',
  JobMatched: 'MATCHED',
  JobDispatched: 'DISPATCHED',
  JobStarted: 'RUNNING',
  JobSucceeded: 'SUCCEEDED',
  JobFailed: 'FAILED',
  JobTimedOut: 'TIMED_OUT',
  JobCancelled: 'CANCELLED',
  JobOverflowed: 'OVERFLOWED',
  JobRerouted: 'REROUTED',
  JobSettled: 'SETTLED',
  JobExpired: 'EXPIRED',
  // A reorg voided the deposit: the job waits for funding again.
  JobFundingReverted: 'QUOTED',
  // JobRoutingBlocked only notes why a waiting job stays where it is: no state change.
};

/**
 * Progress by lifecycle stage. It is a stage indicator, not a percentage of the workload (the
 * platform does not see inside containers); it never goes back except on a reroute.
 */
const PROGRESS: Record<JobStateName, number> = {
  SUBMITTED: 5,
  QUOTED: 10,
  FUNDED: 20,
  QUEUED: 30,
  OVERFLOWED: 30,
  REROUTED: 30,
  MATCHED: 40,
  DISPATCHED: 50,
  RUNNING: 60,
  SUCCEEDED: 90,
  FAILED: 90,
  TIMED_OUT: 90,
  CANCELLED: 100,
  EXPIRED: 100,
  SETTLED: 100,
};

export const progressOf = (s: JobStateName): number => PROGRESS[s];

/** States after which nothing more happens to a job: watches end there. */
export const isFinal = (s: JobStateName): boolean =>
  s === 'SETTLED' || s === 'CANCELLED' || s === 'EXPIRED';
