/** A field of a request that was wrong: what was wrong and what is accepted. */
export interface FieldProblem {
  field: string;
  problem: string;
  accepted: string;
}

/**
 * Stable error codes of the public API. Clients branch on `code`, never on the message; a code
 * is never renamed or reused (docs/gateway.md lists them with their HTTP and gRPC statuses).
 */
export const ERROR_CODES = {
  INVALID_REQUEST: { http: 400, grpc: 3 },
  UNAUTHENTICATED: { http: 401, grpc: 16 },
  PERMISSION_DENIED: { http: 403, grpc: 7 },
  NOT_FOUND: { http: 404, grpc: 5 },
  CONFLICT: { http: 409, grpc: 9 },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: 3 },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, grpc: 3 },
  RATE_LIMITED: { http: 429, grpc: 8 },
  DOWNSTREAM_UNAVAILABLE: { http: 503, grpc: 14 },
  INTERNAL: { http: 500, grpc: 13 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields: FieldProblem[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get grpcStatus(): number {
    return ERROR_CODES[this.code].grpc;
  }

  toJSON(): { error: { code: ErrorCode; message: string; fields: FieldProblem[] } } {
    return { error: { code: this.code, message: this.message, fields: this.fields } };
  }
}

export const invalid = (fields: FieldProblem[]): ApiError =>
  new ApiError(
    'INVALID_REQUEST',
    `invalid request: ${fields.map((f) => `${f.field} ${f.problem}`).join('; ')}`,
    fields,
  );

/** The one answer for a job that does not exist or is not the caller's: never tell them apart. */
export const jobNotFound = (jobId: string): ApiError =>
  new ApiError('NOT_FOUND', `job ${jobId} not found`);
