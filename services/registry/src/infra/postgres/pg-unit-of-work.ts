import {
  causedBy,
  type NodeEvent,
  type OutboxPublisher,
  type Tx,
  withTransaction,
} from '@starminer/eventing';
import { type Pool } from 'pg';
import { type NodeEventSink, type RegistryWork, type UnitOfWork } from '../../app/ports';
import { type NodeRepository } from './node-repository';
import { type ProviderRepository } from './provider-repository';

export interface RegistryTables {
  nodes: NodeRepository;
  providers: ProviderRepository;
  publisher: OutboxPublisher<NodeEvent>;
}

/** The outbox appends of one transaction. */
function outboxSink(tx: Tx, publisher: OutboxPublisher<NodeEvent>): NodeEventSink {
  return {
    async append(events) {
      await publisher.publish(
        tx,
        events.map(({ cause, ...e }) => ({ ...e, ...(cause ? { meta: causedBy(cause) } : {}) })),
      );
    },
  };
}

/**
 * The registry's tables and outbox bound to `tx`: what the use cases touch in a transaction of
 * their own (PgUnitOfWork) or in the event consumer's (with its inbox row).
 */
export function registryWork(tx: Tx, t: RegistryTables): RegistryWork {
  return {
    nodes: {
      getForUpdate: (region, name) => t.nodes.get(region, name, tx),
      save: (n) => t.nodes.save(tx, n),
      delete: (region, name) => t.nodes.delete(tx, region, name),
    },
    providers: {
      getForUpdate: (address) => t.providers.get(address, tx),
      save: (p) => t.providers.save(tx, p),
    },
    events: outboxSink(tx, t.publisher),
  };
}

/** One Postgres transaction per unit of work (committed, or rolled back on a throw). */
export class PgUnitOfWork implements UnitOfWork {
  constructor(
    private readonly pool: Pool,
    private readonly tables: RegistryTables,
  ) {}

  transact<T>(work: (w: RegistryWork) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, (tx) => work(registryWork(tx, this.tables)));
  }
}
