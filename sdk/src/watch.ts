import { type SdkError } from './errors';
import { FINAL_STATES, type JobState, type WatchEvent } from './types';

/** Lifecycle stage as a percentage, for updates the SDK derives itself (polls). */
const PROGRESS: Record<JobState, number> = {
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
export const progressOf = (s: JobState): number => PROGRESS[s];
export const isFinal = (s: JobState): boolean => FINAL_STATES.includes(s);

/**
 * Merges several sources of a job's updates (the stream, polls) into one ordered iterable that
 * yields each state change once and ends after the first final state or on failure.
 */
export class UpdateQueue implements AsyncIterable<WatchEvent> {
  private readonly items: WatchEvent[] = [];
  private wake: (() => void) | undefined;
  private last: JobState | undefined;
  private error: SdkError | Error | undefined;
  done = false;

  push(e: WatchEvent): void {
    if (this.done || e.state === this.last) return;
    this.last = e.state;
    this.items.push(e);
    if (e.final || isFinal(e.state)) this.done = true;
    this.wake?.();
  }

  fail(err: SdkError | Error): void {
    if (this.done) return;
    this.error = err;
    this.done = true;
    this.wake?.();
  }

  end(): void {
    this.done = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.error) throw this.error;
      if (this.done) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
