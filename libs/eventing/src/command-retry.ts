import { backoffDelay, type BackoffPolicy } from './domain/backoff';
import { ConcurrencyError } from './domain/errors';

export interface RetryOnConflictOptions {
  /** Attempts in all, the first included. */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs a command (load the stream, decide, append with the loaded version) and runs it again
 * from the start when the append hits a ConcurrencyError: another writer moved the stream, so
 * the decision must be made again on the new state. Other errors propagate at once.
 */
export async function retryOnConflict<T>(
  command: (attempt: number) => Promise<T>,
  options: RetryOnConflictOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff = options.backoff ?? { initialMs: 10, maxMs: 500, factor: 2 };
  const sleep = options.sleep ?? sleepMs;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await command(attempt);
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || attempt >= maxAttempts) throw err;
      await sleep(backoffDelay(attempt, random(), backoff));
    }
  }
}
