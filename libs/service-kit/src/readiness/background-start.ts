import { type ReadinessCheck } from './readiness';

interface StartLogger {
  warn(message: unknown, ...params: unknown[]): void;
  error(message: unknown, ...params: unknown[]): void;
}

/**
 * Starts a service's machinery without blocking its boot: `prepare` (migrations, anything that
 * only needs the database) is retried with backoff until it succeeds, then `start` runs once.
 * Until both are done the readiness check `name` fails with the reason, so a service whose
 * database is down at boot still serves /healthz and reports not ready instead of hanging.
 */
export class BackgroundStart {
  private status = 'starting';
  private done = false;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly name: string,
    private readonly logger: StartLogger,
  ) {}

  readiness(): ReadinessCheck {
    return {
      name: this.name,
      check: () => (this.done ? Promise.resolve() : Promise.reject(new Error(this.status))),
    };
  }

  run(prepare: () => Promise<void>, start: () => Promise<void>): void {
    this.running = this.loop(prepare, start);
  }

  /** Stops retrying and waits for an attempt in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(prepare: () => Promise<void>, start: () => Promise<void>): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await prepare();
        break;
      } catch (err) {
        this.status = `waiting to start: ${(err as Error).message}`;
        this.logger.warn(`${this.name}: could not prepare; retrying`, { err, attempt });
        await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** attempt)));
      }
    }
    if (this.stopped) return;
    try {
      await start();
      this.done = true;
    } catch (err) {
      this.status = `failed to start: ${(err as Error).message}`;
      this.logger.error(`${this.name}: failed to start`, { err });
    }
  }
}
