/**
 * Errors split into retryable and non-retryable (the split ponder makes in internal/errors.ts).
 * Only retryable errors are retried; the others go to the dead-letter topic. Anything we cannot
 * classify is treated as retryable only when it looks like a transient I/O failure.
 */
export abstract class EventingError extends Error {
  abstract readonly retryable: boolean;
  /** Stable machine-readable code, e.g. for dead-letter headers and logs. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A transient failure: the same operation may succeed later (database restarting, broker gone). */
export class RetryableError extends EventingError {
  readonly retryable = true;
  readonly code: string;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.code = options?.code ?? 'RETRYABLE';
  }
}

/** A failure that will recur on every attempt (bad input, violated invariant). */
export class NonRetryableError extends EventingError {
  readonly retryable = false;
  readonly code: string;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.code = options?.code ?? 'NON_RETRYABLE';
  }
}

/**
 * Optimistic concurrency conflict: the stream moved past the version the command decided on.
 * Retryable: reload the stream, decide again, append again (see retryOnConflict).
 */
export class ConcurrencyError extends EventingError {
  readonly retryable = true;
  readonly code = 'CONCURRENCY_CONFLICT';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
  ) {
    super(
      `stream ${streamId}: expected version ${expectedVersion}` +
        (actualVersion === undefined
          ? ', but another writer appended first'
          : `, found ${actualVersion}`),
    );
  }
}

/** A message that cannot be turned into a known event: never retried, dead-lettered. */
export class DecodeError extends EventingError {
  readonly retryable = false;
  readonly code = 'UNDECODABLE';
}

export class UnknownEventTypeError extends EventingError {
  readonly retryable = false;
  readonly code = 'UNKNOWN_EVENT_TYPE';
  constructor(readonly eventType: string) {
    super(`unknown event type "${eventType}"`);
  }
}

// Postgres SQLSTATE classes that mean "try again": connection exceptions (08), insufficient
// resources (53), operator intervention such as admin shutdown (57), serialization failures and
// deadlocks (40001, 40P01), lock timeouts (55P03).
const retryableSqlStatePrefixes = ['08', '53', '57'];
const retryableSqlStates = new Set(['40001', '40P01', '55P03']);
// Node socket errors seen when a peer goes away or is not there yet.
const retryableNodeCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
// Messages node-postgres throws without a code when the connection dies.
const retryableMessages = [
  /Connection terminated/i,
  /connection timeout/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Client was closed/i,
  /not queryable/i,
];

/** True if retrying the operation that threw `err` may succeed. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof EventingError) return err.retryable;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; retriable?: unknown; message?: unknown; cause?: unknown };
  // kafkajs marks its errors with `retriable`.
  if (typeof e.retriable === 'boolean') return e.retriable;
  if (typeof e.code === 'string') {
    if (retryableNodeCodes.has(e.code)) return true;
    if (/^[0-9A-Z]{5}$/.test(e.code)) {
      return (
        retryableSqlStates.has(e.code) ||
        retryableSqlStatePrefixes.some((p) => e.code === p || (e.code as string).startsWith(p))
      );
    }
  }
  if (
    typeof e.message === 'string' &&
    retryableMessages.some((re) => re.test(e.message as string))
  ) {
    return true;
  }
  if (e.cause !== undefined && e.cause !== err) return isRetryable(e.cause);
  return false;
}

/** Short code for logs and dead-letter headers. */
export function errorCode(err: unknown): string {
  if (err instanceof EventingError) return err.code;
  if (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string'
  ) {
    return (err as { code: string }).code;
  }
  return err instanceof Error ? err.name : 'UNKNOWN';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
