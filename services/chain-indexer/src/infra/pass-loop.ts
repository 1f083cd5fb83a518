import { type FollowerLogger } from './chain-follower';

/**
 * Runs `pass` every `intervalMs` until stopped. A failed pass is logged and simply retried on the
 * next round: the signers keep their state in Postgres, so a pass can always start over.
 */
export class PassLoop {
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly name: string,
    private readonly pass: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly logger: FollowerLogger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.pass();
        } catch (err) {
          this.logger.warn(`${this.name} pass failed; retrying`, {
            error: (err as Error).message,
          });
        }
        await new Promise((r) => setTimeout(r, this.intervalMs));
      }
    })();
  }

  /** Lets the pass in flight finish. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
