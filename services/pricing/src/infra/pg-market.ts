import { type Pool } from 'pg';
import {
  withTransaction,
  type MarketEvent,
  type PgLease,
  type OutboxPublisher,
  type Tx,
} from '@starminer/eventing';
import { type PricingStrategy } from '../domain/strategy';
import { type MarketEventSink, type MarketTransaction, type MarketUnitOfWork } from '../app/ports';
import { PgPriceIndex } from './pg-price-index';
import { PgSignalLog } from './pg-signal-log';

/** The market outbox bound to one transaction: the events commit with the effects they announce. */
export function outboxSink(outbox: OutboxPublisher<MarketEvent>, tx: Tx): MarketEventSink {
  return {
    publish: async (events) => {
      await outbox.publish(tx, events);
    },
  };
}

/** The engine's writes in one Postgres transaction of their own (withTransaction). */
export class PgMarket implements MarketUnitOfWork {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly strategy: PricingStrategy,
    private readonly outbox: OutboxPublisher<MarketEvent>,
  ) {}

  /** The input log bound to `tx` (the consumer's transaction, with its inbox row). */
  signalLog(tx: Tx): PgSignalLog {
    return new PgSignalLog(tx, this.schema, this.strategy);
  }

  transact<T>(work: (market: MarketTransaction) => Promise<T>): Promise<T> {
    return this.transactFenced(undefined, work);
  }

  /**
   * The same writes, committed only while this replica holds `lease` (the price ticker's): a
   * replica deposed mid-interval fails with LeaseLostError and its tick never reaches the log,
   * the price index or the outbox.
   */
  fencedBy(lease: PgLease): MarketUnitOfWork {
    return { transact: (work) => this.transactFenced(lease, work) };
  }

  private transactFenced<T>(
    lease: PgLease | undefined,
    work: (market: MarketTransaction) => Promise<T>,
  ): Promise<T> {
    return withTransaction(this.pool, async (tx) => {
      await lease?.fence(tx);
      return work({
        log: this.signalLog(tx),
        index: new PgPriceIndex(tx, this.schema),
        events: outboxSink(this.outbox, tx),
      });
    });
  }
}
