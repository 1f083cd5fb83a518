import { backoffDelay } from '../domain/backoff';
import { errorMessage } from '../domain/errors';
import { type Logger, jsonLogger } from '../logger';
import { type PgLease } from './pg-lease';

export interface SingletonLoopOptions {
  /** Names the loop in logs and status. */
  name: string;
  lease: PgLease;
  /**
   * One pass of the work; runs only on the replica holding the lease. Guard writes with
   * `lease.fence(tx)`. Returns true when work is left (a full batch): the next pass runs at once.
   */
  pass: () => Promise<boolean | void>;
  /** Pause between passes on the holder (a `wake()` cuts it short). */
  intervalMs: number;
  /** How often a standby tries to take the lease: bounds the takeover time after a holder dies. */
  standbyPollMs?: number;
  logger?: Logger;
}

export interface SingletonStatus {
  loop: string;
  /** This replica holds the lease and runs the passes. */
  leader: boolean;
  holderId: string;
  epoch: number;
  passes: number;
  lastError?: string;
}

/**
 * Work that must run on one replica at a time (a match loop, a planner, a publisher, a signer):
 * every replica runs this loop, the lease picks the one that does the passes, and a standby
 * takes over when the holder dies, freezes or is cut off.
 */
export class SingletonLoop {
  private readonly logger: Logger;
  private readonly standbyPollMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private passes = 0;
  private lastError: string | undefined;

  constructor(private readonly options: SingletonLoopOptions) {
    this.logger = options.logger ?? jsonLogger;
    this.standbyPollMs = options.standbyPollMs ?? 1_000;
    options.lease.onLost(() => this.wake());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the pass in flight and gives the lease up for a standby. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.options.lease.release();
  }

  /** Runs the next pass now (new work arrived) instead of after the interval. */
  wake(): void {
    this.wakeUp?.();
  }

  status(): SingletonStatus {
    return {
      loop: this.options.name,
      ...this.options.lease.tenure(),
      passes: this.passes,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        if (!(await this.options.lease.tryAcquire())) {
          await this.sleep(this.standbyPollMs);
          continue;
        }
        const more = await this.options.pass();
        this.passes++;
        failures = 0;
        this.lastError = undefined;
        if (more !== true) await this.sleep(this.options.intervalMs);
      } catch (err) {
        failures++;
        this.lastError = errorMessage(err);
        this.logger.warn('singleton pass failed; retrying', {
          loop: this.options.name,
          error: this.lastError,
          failures,
        });
        await this.sleep(
          backoffDelay(failures, 0.5 + Math.random() / 2, {
            initialMs: 200,
            maxMs: 5_000,
            factor: 2,
          }),
        );
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
