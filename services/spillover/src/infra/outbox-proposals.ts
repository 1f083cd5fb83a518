import { type Pool } from 'pg';
import {
  type EventOrigin,
  jobEvents,
  type JobEvent,
  OutboxPublisher,
  type PgLease,
  withTransaction,
} from '@starminer/eventing';
import { type ProposalPublisher } from '../app/ports';

/**
 * JobRerouteProposed through spillover's outbox (the relay publishes it on starminer.job.v1,
 * keyed by the job id so it sits in order with the job's own events). Spillover keeps no stream
 * of its own: the aggregate version is left 0, the job's version belongs to the matchmaker. The
 * envelopes carry `origin`: spillover's deployment, and 'spillover', the type's catalogue producer.
 * Each write is fenced by the planner's lease: a planner deposed mid-round proposes nothing more.
 */
export class OutboxProposals implements ProposalPublisher {
  private readonly outbox: OutboxPublisher<JobEvent>;

  constructor(
    private readonly pool: Pool,
    schema: string,
    origin: EventOrigin,
    private readonly plannerLease: PgLease,
  ) {
    this.outbox = new OutboxPublisher(schema, jobEvents, origin);
  }

  async proposed(p: Parameters<ProposalPublisher['proposed']>[0]): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
      await this.plannerLease.fence(tx);
      await this.outbox.publish(tx, [
        {
          aggregateId: p.jobId,
          event: {
            type: 'JobRerouteProposed',
            jobId: p.jobId,
            proposalId: p.proposalId,
            fromRegion: p.fromRegion,
            toRegion: p.toRegion,
            estimatedRttMs: p.rttMs,
            pricePerGpuSecond: { baseUnits: p.price.toString() },
            reason: p.reason,
          },
        },
      ]);
    });
  }
}
