import { type JobStatus } from './job-state';

/** A command the job's current state does not allow. Not retryable: the state must change first. */
export class IllegalTransitionError extends Error {
  readonly code = 'ILLEGAL_TRANSITION';
  constructor(
    readonly command: string,
    readonly status: JobStatus,
    readonly allowed: readonly JobStatus[],
    detail?: string,
  ) {
    super(
      `${command} is not allowed for a job in state ${status}` +
        (allowed.length ? ` (allowed in: ${allowed.join(', ')})` : '') +
        (detail ? `: ${detail}` : ''),
    );
    this.name = 'IllegalTransitionError';
  }
}

/** A command whose arguments contradict the job (wrong quote, stale version, ...). */
export class CommandRejectedError extends Error {
  readonly code = 'COMMAND_REJECTED';
  constructor(message: string) {
    super(message);
    this.name = 'CommandRejectedError';
  }
}
