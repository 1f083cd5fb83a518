import { type EventEnvelope, type StarminerEvent } from '@starminer/eventing';
import { type Clock } from '@starminer/service-kit';
import { CommandRejectedError, IllegalTransitionError } from '../../domain/errors';
import { type JobCommand } from '../../domain/job-commands';
import { type ConsumedEventStore, type Logger } from '../ports';
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
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async apply(env: EventEnvelope<StarminerEvent>, store: ConsumedEventStore): Promise<void> {
    const e = env.event;
    const market = store.market;
    switch (e.type) {
      case 'NodeJoined':
        return market.putNode({
          region: e.region,
          node: e.node,
          provider: e.provider.toLowerCase(),
          pool: e.pool,
          product: e.gpus?.product ?? '',
          memoryMiB: e.gpus?.memoryMib ?? 0,
          gpus: e.gpus?.count ?? 0,
        });
      case 'NodeCapacityChanged':
        return market.changeNodeCapacity(e.region, e.node, {
          product: e.current?.product ?? '',
          memoryMiB: e.current?.memoryMib ?? 0,
          gpus: e.current?.count ?? 0,
          pool: e.pool,
        });
      case 'NodeQuarantined':
      case 'NodeRecovered':
        return market.setNodeQuarantined(e.region, e.node, e.type === 'NodeQuarantined');
      case 'NodeLeft':
        return market.removeNode(e.region, e.node);
      case 'ProviderActivated':
      case 'ProviderDeactivated':
        return market.setProviderActive(e.provider.toLowerCase(), e.type === 'ProviderActivated');
      case 'PriceUpdated':
        return market.setPrice({
          product: e.tier?.gpuProduct ?? '',
          region: e.tier?.region ?? '',
          urgency: e.tier?.urgency ?? 0,
          price: amount(e.pricePerGpuSecond),
        });
      case 'EscrowFunded':
        return this.onJob(store, env, e.jobId, () => ({
          type: 'RecordFunding',
          quoteId: e.quoteId,
          deposit: amount(e.deposit),
          escrowLog: e.log,
          placementDeadline: '',
        }));
      case 'EscrowSettled':
        return this.onJob(store, env, e.jobId, () => ({
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
        return this.onJob(store, env, e.jobId, () => ({
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
        return this.onReorg(store, env, e.voidedEventIds);
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
    store: ConsumedEventStore,
    env: EventEnvelope<StarminerEvent>,
    voided: readonly string[],
  ): Promise<void> {
    if (voided.length === 0) return;
    for (const f of await store.fundedBy(voided)) {
      await this.onJob(store, env, f.jobId, () => ({
        type: 'RevertFunding',
        voidedEventId: f.eventId,
      }));
    }
  }

  /** Escrow events for jobs of other deployments (or not ours) are skipped; refused ones logged. */
  private async onJob(
    store: ConsumedEventStore,
    env: EventEnvelope<StarminerEvent>,
    jobId: string,
    build: () => JobCommand,
  ): Promise<void> {
    if (!(await store.hasJob(jobId))) return;
    try {
      await store.jobs.execute(
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
        env,
      );
    } catch (err) {
      // The store undid the refused command's writes; the consumer's transaction goes on.
      if (err instanceof IllegalTransitionError || err instanceof CommandRejectedError) {
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
