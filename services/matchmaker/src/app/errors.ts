import { type FieldViolation } from '../domain/job-spec';

/** A request refused before anything was stored; the API maps it to INVALID_ARGUMENT. */
export class InvalidRequestError extends Error {
  readonly code = 'INVALID_ARGUMENT';
  constructor(readonly violations: FieldViolation[]) {
    super(`invalid job: ${violations.map((v) => `${v.field} ${v.reason}`).join('; ')}`);
  }
}

export class JobNotFoundError extends Error {
  readonly code = 'NOT_FOUND';
  constructor(jobId: string) {
    super(`job ${jobId} does not exist`);
  }
}

/** A dependency (pricing) could not answer; nothing was stored. */
export class UnavailableError extends Error {
  readonly code = 'UNAVAILABLE';
}
