import { causedBy, type EventEnvelope, type StarminerEvent, type Tx } from '@starminer/eventing';
import { type JsonLogger } from '@starminer/service-kit';
import { CommandRejectedError, IllegalTransitionError } from '../../domain/errors';
import { type JobCommand } from '../../domain/job-commands';
import { type JobRepository } from '../../infra/postgres/job-repository';
import { type Clock } from '../ports';
import { placementDeadline } from '../match-queue/urgency-deadlines';

const amount = (a: { baseUnits: string } | undefined) => BigInt(a?.baseUnits || '0');

/**
 * Applies other services' events inside the consumer's transaction (with its inbox row, so each
 * applies once): registry node and provider events build the capacity read model, pricing's
 * prices the tier prices, the chain-indexer's escrow events fund and settle jobs (and its reorg
 * reports unfund jobs not yet dispatched).
 */
export class ApplyEventsHandler {
  constructor(
    private readonly schema: string,
    private readonly jobs: JobRepository,
    private readonly clock: Clock,
    private readonly logger: JsonLogger,
  ) {}

  async apply(env: EventEnvelope<StarminerEvent>, tx: Tx): Promise<void> {
    const e = env.event;
    const t = this.schema;
    switch (e.type) {
      case 'NodeJoined':
        await tx.query(
          `INSERT INTO ${t}.nodes (region, node, provider, pool, product, memory_mib, gpus, quarantined)
           VALUES ($1, $2, $3, $4, $5, $6, $7, false)
           ON CONFLICT (region, node) DO UPDATE SET provider = $3, pool = $4, product = $5, memory_mib = $6, gpus = $7, quarantined = false`,
          [
            e.region,
            e.node,
            e.provider.toLowerCase(),
            e.pool,
            e.gpus?.product ?? '',
            e.gpus?.memoryMib ?? 0,
            e.gpus?.count ?? 0,
          ],
        );
        return;
      case 'NodeCapacityChanged':
        await tx.query(
          `UPDATE ${t}.nodes SET product = $3, memory_mib = $4, gpus = $5, pool = $6 WHERE region = $1 AND node = $2`,
          [
            e.region,
            e.node,
            e.current?.product ?? '',
            e.current?.memoryMib ?? 0,
            e.current?.count ?? 0,
            e.pool,
          ],
        );
        return;
      case 'NodeQuarantined':
      case 'NodeRecovered':
        await tx.query(`UPDATE ${t}.nodes SET quarantined = $3 WHERE region = $1 AND node = $2`, [
          e.region,
          e.node,
          e.type === 'NodeQuarantined',
        ]);
        return;
      case 'NodeLeft':
        await tx.query(`DELETE FROM ${t}.nodes WHERE region = $1 AND node = $2`, [
          e.region,
          e.node,
        ]);
        return;
      case 'ProviderActivated':
      case 'ProviderDeactivated':
        await tx.query(
          `INSERT INTO ${t}.providers (provider, active) VALUES ($1, $2) ON CONFLICT (provider) DO UPDATE SET active = $2`,
          [e.provider.toLowerCase(), e.type === 'ProviderActivated'],
        );
        return;
      case 'PriceUpdated':
        await tx.query(
          `INSERT INTO ${t}.prices (product, region, urgency, price) VALUES ($1, $2, $3, $4)
           ON CONFLICT (product, region, urgency) DO UPDATE SET price = $4`,
          [
            e.tier?.gpuProduct ?? '',
            e.tier?.region ?? '',
            e.tier?.urgency ?? 0,
            amount(e.pricePerGpuSecond).toString(),
          ],
        );
        return;
      case 'EscrowFunded':
        return this.onJob(tx, env, e.jobId, () => ({
          type: 'RecordFunding',
          quoteId: e.quoteId,
          deposit: amount(e.deposit),
          escrowLog: e.log,
          placementDeadline: '',
        }));
      case 'EscrowSettled':
        return this.onJob(tx, env, e.jobId, () => ({
          type: 'RecordSettlement',
          outcome: 'released',
          provider: e.provider,
          gpuSeconds: BigInt(e.gpuSeconds),
          providerPayout: amount(e.providerPayout),
          clientRefund: amount(e.clientRefund),
          protocolFee: amount(e.protocolFee),
          log: e.log,
        }));
      case 'EscrowRefunded':
      case 'EscrowReclaimed':
        return this.onJob(tx, env, e.jobId, () => ({
          type: 'RecordSettlement',
          outcome: e.type === 'EscrowRefunded' ? 'refunded' : 'reclaimed',
          provider: '',
          gpuSeconds: 0n,
          providerPayout: 0n,
          clientRefund: amount(e.amount),
          protocolFee: 0n,
          log: e.log,
        }));
      case 'ChainReorged':
        return this.onReorg(tx, env, e.voidedEventIds);
      default:
        return;
    }
  }

  /**
   * A reorg voided published chain events. A job funded by a voided EscrowFunded (its JobFunded
   * was caused by it) and not yet dispatched goes back to Quoted; the canonical deposit, if the
   * transaction made it into the new chain, arrives as a new EscrowFunded. A job already on a
   * node is refused the revert (logged): it runs on, and settlement finds whether an escrow exists.
   */
  private async onReorg(
    tx: Tx,
    env: EventEnvelope<StarminerEvent>,
    voided: readonly string[],
  ): Promise<void> {
    if (voided.length === 0) return;
    const funded = await tx.query<{ stream_id: string; causation_id: string }>(
      `SELECT stream_id, causation_id FROM ${this.schema}.events
        WHERE type = 'JobFunded' AND causation_id = ANY($1::text[])`,
      [voided],
    );
    for (const r of funded.rows) {
      await this.onJob(tx, env, r.stream_id, () => ({
        type: 'RevertFunding',
        voidedEventId: r.causation_id,
      }));
    }
  }

  /** Escrow events for jobs of other deployments (or not ours) are skipped; refused ones logged. */
  private async onJob(
    tx: Tx,
    env: EventEnvelope<StarminerEvent>,
    jobId: string,
    build: () => JobCommand,
  ): Promise<void> {
    const known = await tx.query(`SELECT 1 FROM ${this.schema}.jobs WHERE job_id = $1`, [jobId]);
    if (!known.rowCount) return;
    try {
      await tx.query('SAVEPOINT apply_job');
      await this.jobs.executeIn(
        tx,
        jobId,
        (state) => {
          const c = build();
          return c.type === 'RecordFunding'
            ? {
                ...c,
                placementDeadline: placementDeadline(this.clock.now(), state.spec?.urgency ?? 2),
              }
            : c;
        },
        causedBy(env),
      );
      await tx.query('RELEASE SAVEPOINT apply_job');
    } catch (err) {
      if (err instanceof IllegalTransitionError || err instanceof CommandRejectedError) {
        await tx.query('ROLLBACK TO SAVEPOINT apply_job');
        this.logger.warn('chain event not applied to job', {
          jobId,
          eventType: env.type,
          err: err.message,
        });
        return;
      }
      throw err;
    }
  }
}
