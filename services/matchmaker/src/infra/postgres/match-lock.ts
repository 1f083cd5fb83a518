import { type PgLease } from '@starminer/eventing';
import { type MatchLock } from '../../app/ports';

/**
 * The match lock as the deployment's `match-loop` lease (docs/adr/0018): the replica that takes
 * it keeps it from round to round, and the others stand by, trying again each tick. A holder that
 * dies frees it with its session, so a standby matches from its next tick; a frozen one is deposed
 * after the lease's term. Rounds write through expected-version appends, so a deposed holder
 * waking mid-round cannot move a job its successor already moved.
 */
export class LeasedMatchLock implements MatchLock {
  constructor(private readonly lease: PgLease) {}

  async runExclusive(work: () => Promise<void>): Promise<boolean> {
    if (!(await this.lease.tryAcquire())) return false;
    await work();
    return true;
  }

  /** Whether this replica matches now, and its tenure. */
  status(): { leader: boolean; holderId: string; epoch: number } {
    return this.lease.tenure();
  }

  /** Gives the lease up on a clean stop, so a standby matches at once. */
  release(): Promise<void> {
    return this.lease.release();
  }
}
