import { type Pool } from 'pg';
import {
  chainEvents,
  OutboxPublisher,
  quoteSchema,
  withTransaction,
  type ChainEvent,
  type EventOrigin,
  type Tx,
} from '@starminer/eventing';
import { eventsV1 } from '@starminer/proto';
import { type BlockRef } from '../domain/block-window';
import { reviveEvent, serializeEvent, type DecodedLog } from '../domain/chain-events';
import { blockCeiling, flowCursor } from '../domain/checkpoint';
import {
  aggregateKeyOf,
  project,
  rebuild,
  type AggregateKey,
  type AggregateState,
  type ProjectionContext,
} from '../domain/projection';
import { aggregateTables, pkOfKey, recordsetColumns, tableOfState } from './aggregate-tables';
import { toChainEvent } from './chain-event-mapping';
import { type BlockHeader } from './json-rpc';

export interface IndexerState {
  cursor: BlockRef;
  finalized: number;
  /** Oldest first; the last one is the cursor. */
  window: BlockRef[];
  halted?: string;
}

/** The cursor moved under us (another follower, or a stale in-memory view): reload and retry. */
export class CursorMovedError extends Error {
  override readonly name = 'CursorMovedError';
}

/** Indexing was halted by a reorg deeper than finality; only an operator can resume it. */
export class IndexerHaltedError extends Error {
  override readonly name = 'IndexerHaltedError';
}

export interface ReorgInfo {
  ancestor: BlockRef;
  oldHead: BlockRef;
  newHead?: BlockRef;
  depth: number;
}

/**
 * The mirror in Postgres. Each step (a batch of blocks, a reorg rollback) is one transaction that
 * writes the mirrored rows, the outbox rows of the events it announces and the cursor together, so
 * a crash at any point leaves either all of a step or none of it.
 */
export class MirrorStore {
  private readonly s: string;
  private readonly publisher: OutboxPublisher<ChainEvent>;
  private readonly starminer: Set<string>;

  constructor(
    private readonly pool: Pool,
    readonly schema: string,
    readonly chainId: number,
    private readonly ctx: ProjectionContext & { addresses: string[] },
    /** Stamped on every event announced: 'chain-indexer' of the deployment it follows. */
    origin: EventOrigin,
    /**
     * The `chain-follower` lease's fence when replicas follow the same schema: a deposed follower
     * cannot apply or roll back a range after its successor took over.
     */
    private readonly fence: (tx: Tx) => Promise<void> = async () => undefined,
  ) {
    this.s = quoteSchema(schema);
    this.publisher = new OutboxPublisher(schema, chainEvents, origin);
    this.starminer = new Set(ctx.addresses.map((a) => a.toLowerCase()));
  }

  async load(db: Pool | Tx = this.pool): Promise<IndexerState | undefined> {
    const c = await db.query<{
      block_number: string;
      block_hash: string;
      finalized_number: string;
      halted_reason: string | null;
    }>(
      `SELECT block_number, block_hash, finalized_number, halted_reason FROM ${this.s}.indexer_cursor WHERE chain_id = $1`,
      [this.chainId],
    );
    const row = c.rows[0];
    if (!row) return undefined;
    const w = await db.query<{ number: string; hash: string; parent_hash: string }>(
      `SELECT number, hash, parent_hash FROM ${this.s}.blocks WHERE number <= $1 ORDER BY number`,
      [row.block_number],
    );
    const window = w.rows.map((b) => ({
      number: Number(b.number),
      hash: b.hash,
      parentHash: b.parent_hash,
    }));
    const cursor = { number: Number(row.block_number), hash: row.block_hash, parentHash: '' };
    const last = window[window.length - 1];
    if (!last || last.number !== cursor.number || last.hash !== cursor.hash) {
      throw new Error(`block window does not end at the cursor ${cursor.number} ${cursor.hash}`);
    }
    return {
      cursor: last,
      finalized: Number(row.finalized_number),
      window,
      halted: row.halted_reason ?? undefined,
    };
  }

  /** First start: the block before the deployment is the anchor, trusted as final. */
  async initialize(anchor: BlockHeader): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
      const r = await tx.query(
        `INSERT INTO ${this.s}.indexer_cursor (chain_id, block_number, block_hash, finalized_number)
         VALUES ($1, $2, $3, $2) ON CONFLICT (chain_id) DO NOTHING`,
        [this.chainId, anchor.number, anchor.hash],
      );
      if (r.rowCount === 1) {
        await tx.query(
          `INSERT INTO ${this.s}.blocks (number, hash, parent_hash, timestamp) VALUES ($1, $2, $3, $4)
           ON CONFLICT (number) DO NOTHING`,
          [anchor.number, anchor.hash, anchor.parentHash, anchor.timestamp],
        );
      }
    });
  }

  private async lockCursor(tx: Tx, expected: BlockRef): Promise<void> {
    await this.fence(tx);
    const r = await tx.query<{
      block_number: string;
      block_hash: string;
      halted_reason: string | null;
    }>(
      `SELECT block_number, block_hash, halted_reason FROM ${this.s}.indexer_cursor WHERE chain_id = $1 FOR UPDATE`,
      [this.chainId],
    );
    const row = r.rows[0];
    if (!row) throw new CursorMovedError('no cursor row');
    if (row.halted_reason) throw new IndexerHaltedError(row.halted_reason);
    if (Number(row.block_number) !== expected.number || row.block_hash !== expected.hash) {
      throw new CursorMovedError(
        `cursor is at ${row.block_number} ${row.block_hash}, expected ${expected.number} ${expected.hash}`,
      );
    }
  }

  /**
   * Applies consecutive blocks after `expected` (the cursor) with their decoded logs, in one
   * transaction: window, logs, mirror, outbox, settlement confirmations, cursor, finality.
   * Returns how many events it published.
   */
  async applyBlocks(
    expected: BlockRef,
    blocks: BlockHeader[],
    logs: DecodedLog[],
    finalized: number,
  ): Promise<number> {
    return withTransaction(this.pool, async (tx) => {
      await this.lockCursor(tx, expected);
      const keys = [
        ...new Set(logs.map((l) => aggregateKeyOf(l.event)).filter((k): k is string => !!k)),
      ];
      const current = await this.loadStates(tx, keys);
      const p = project(current, logs, this.ctx);

      const outgoing = logs
        .map((l) => toChainEvent(l, p.after.get(l.meta.checkpoint), this.starminer))
        .filter((e) => e !== undefined);
      const envelopes = await this.publisher.publish(
        tx,
        outgoing.map((o) => ({ aggregateId: o.aggregateId, event: o.event })),
      );
      const eventIdOf = new Map(outgoing.map((o, i) => [o.checkpoint, envelopes[i]!.eventId]));

      await this.insertRecords(
        tx,
        'chain_logs',
        {
          checkpoint: 'text',
          block_number: 'bigint',
          block_hash: 'text',
          block_timestamp: 'bigint',
          transaction_hash: 'text',
          transaction_index: 'int',
          log_index: 'int',
          address: 'text',
          name: 'text',
          data: 'jsonb',
          aggregate_key: 'text',
          event_id: 'uuid',
        },
        logs.map((l) => ({
          checkpoint: l.meta.checkpoint,
          block_number: l.meta.blockNumber,
          block_hash: l.meta.blockHash,
          block_timestamp: l.meta.blockTimestamp,
          transaction_hash: l.meta.transactionHash,
          transaction_index: l.meta.transactionIndex,
          log_index: l.meta.logIndex,
          address: l.meta.address,
          name: l.event.name,
          data: serializeEvent(l.event),
          aggregate_key: aggregateKeyOf(l.event) ?? null,
          event_id: eventIdOf.get(l.meta.checkpoint) ?? null,
        })),
      );
      await this.writeStates(tx, p.states);
      await this.insertRecords(
        tx,
        'token_flows',
        {
          cursor: 'text',
          checkpoint: 'text',
          flow_index: 'int',
          kind: 'text',
          from_address: 'text',
          to_address: 'text',
          amount: 'numeric',
          job_id: 'text',
          block_number: 'bigint',
        },
        p.flows.map((f) => ({
          cursor: flowCursor(f.checkpoint, f.flowIndex),
          checkpoint: f.checkpoint,
          flow_index: f.flowIndex,
          kind: f.kind,
          from_address: f.from,
          to_address: f.to,
          amount: f.amount.toString(),
          job_id: f.jobId ?? null,
          block_number: f.blockNumber,
        })),
      );
      await this.insertRecords(
        tx,
        'unbondings',
        {
          checkpoint: 'text',
          provider: 'text',
          amount: 'numeric',
          bucket_total: 'numeric',
          ready_at: 'numeric',
          block_number: 'bigint',
        },
        p.unbondings.map((u) => ({
          checkpoint: u.checkpoint,
          provider: u.provider,
          amount: u.amount.toString(),
          bucket_total: u.bucketTotal.toString(),
          ready_at: u.readyAt.toString(),
          block_number: u.blockNumber,
        })),
      );
      await this.insertRecords(
        tx,
        'reward_claims',
        {
          checkpoint: 'text',
          epoch: 'numeric',
          account: 'text',
          amount: 'numeric',
          block_number: 'bigint',
        },
        p.claims.map((c) => ({
          checkpoint: c.checkpoint,
          epoch: c.epoch.toString(),
          account: c.account,
          amount: c.amount.toString(),
          block_number: c.blockNumber,
        })),
      );

      // Settlement is seen as confirmed only here, when the mirror holds the closing log.
      const closings = logs.filter((l) =>
        ['JobSettled', 'JobRefunded', 'JobReclaimed'].includes(l.event.name),
      );
      if (closings.length > 0) {
        await tx.query(
          `UPDATE ${this.s}.settlement_intents i SET status = 'confirmed', confirmed_checkpoint = c.checkpoint,
             detail = c.name, updated_at = now()
           FROM unnest($1::text[], $2::text[], $3::text[]) AS c(job_id, checkpoint, name)
           WHERE i.job_id = c.job_id`,
          [
            closings.map((l) => (l.event as { jobId: string }).jobId),
            closings.map((l) => l.meta.checkpoint),
            closings.map((l) => l.event.name),
          ],
        );
      }

      const last = blocks[blocks.length - 1];
      const newCursor = last ?? expected;
      const keep = blocks.filter((b) => b.number >= finalized);
      await this.insertRecords(
        tx,
        'blocks',
        {
          number: 'bigint',
          hash: 'text',
          parent_hash: 'text',
          timestamp: 'bigint',
        },
        keep.map((b) => ({
          number: b.number,
          hash: b.hash,
          parent_hash: b.parentHash,
          timestamp: b.timestamp,
        })),
      );
      await tx.query(`DELETE FROM ${this.s}.blocks WHERE number < $1`, [finalized]);
      await tx.query(
        `UPDATE ${this.s}.indexer_cursor SET block_number = $2, block_hash = $3,
           finalized_number = GREATEST(finalized_number, $4), updated_at = now() WHERE chain_id = $1`,
        [this.chainId, newCursor.number, newCursor.hash, finalized],
      );
      return envelopes.length;
    });
  }

  /**
   * Rolls the mirror back to `ancestor`: deletes every log, flow, unbonding and claim above it,
   * refolds each aggregate those logs touched from what remains, reopens settlements whose
   * confirmation was voided, and announces the rollback with ChainReorged listing the voided
   * event ids. The canonical blocks are then applied by the next steps as usual.
   */
  async revertTo(expected: BlockRef, info: ReorgInfo): Promise<{ voided: number }> {
    return withTransaction(this.pool, async (tx) => {
      await this.lockCursor(tx, expected);
      const ceiling = blockCeiling(this.chainId, info.ancestor.number);
      const dropped = await tx.query<{
        aggregate_key: string | null;
        event_id: string | null;
        checkpoint: string;
      }>(
        `DELETE FROM ${this.s}.chain_logs WHERE checkpoint > $1 RETURNING aggregate_key, event_id, checkpoint`,
        [ceiling],
      );
      const keys = [
        ...new Set(dropped.rows.map((r) => r.aggregate_key).filter((k): k is string => !!k)),
      ];
      if (keys.length > 0) {
        const remaining = await tx.query<{
          aggregate_key: string;
          data: Record<string, unknown>;
          checkpoint: string;
          block_number: string;
        }>(
          `SELECT aggregate_key, data, checkpoint, block_number FROM ${this.s}.chain_logs
            WHERE aggregate_key = ANY($1::text[]) ORDER BY checkpoint`,
          [keys],
        );
        const byKey = new Map<AggregateKey, DecodedLog[]>(keys.map((k) => [k, []]));
        for (const r of remaining.rows) {
          byKey.get(r.aggregate_key)!.push({
            meta: {
              checkpoint: r.checkpoint,
              blockNumber: Number(r.block_number),
            } as DecodedLog['meta'],
            event: reviveEvent(r.data),
          });
        }
        const states = new Map<AggregateKey, AggregateState | undefined>();
        for (const [k, logs] of byKey) states.set(k, rebuild(logs));
        await this.writeStates(tx, states);
      }
      for (const table of ['token_flows', 'unbondings', 'reward_claims']) {
        await tx.query(`DELETE FROM ${this.s}.${table} WHERE checkpoint > $1`, [ceiling]);
      }
      await tx.query(`DELETE FROM ${this.s}.blocks WHERE number > $1`, [info.ancestor.number]);
      await tx.query(
        `UPDATE ${this.s}.settlement_intents SET status = 'submitted', confirmed_checkpoint = NULL,
           detail = 'confirmation voided by a reorg', updated_at = now()
         WHERE confirmed_checkpoint > $1`,
        [ceiling],
      );
      const voided = dropped.rows
        .filter((r) => r.event_id)
        .sort((a, b) => (a.checkpoint < b.checkpoint ? -1 : 1))
        .map((r) => r.event_id!);
      await this.publisher.publish(tx, [
        {
          aggregateId: `chain:${this.chainId}`,
          event: {
            type: 'ChainReorged',
            ...eventsV1.ChainReorged.fromPartial({
              chainId: String(this.chainId),
              commonAncestorNumber: String(info.ancestor.number),
              commonAncestorHash: info.ancestor.hash,
              oldHeadNumber: String(info.oldHead.number),
              oldHeadHash: info.oldHead.hash,
              newHeadNumber: String(info.newHead?.number ?? info.oldHead.number),
              newHeadHash: info.newHead?.hash ?? '',
              depth: info.depth,
              voidedEventIds: voided,
            }),
          },
        },
      ]);
      await tx.query(
        `UPDATE ${this.s}.indexer_cursor SET block_number = $2, block_hash = $3, updated_at = now() WHERE chain_id = $1`,
        [this.chainId, info.ancestor.number, info.ancestor.hash],
      );
      return { voided: voided.length };
    });
  }

  /** Records a halt: indexing stays stopped (across restarts) until an operator clears it. */
  async halt(reason: string): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.s}.indexer_cursor SET halted_reason = $2, halted_at = now() WHERE chain_id = $1 AND halted_reason IS NULL`,
      [this.chainId, reason],
    );
  }

  private async loadStates(
    tx: Tx,
    keys: AggregateKey[],
  ): Promise<Map<AggregateKey, AggregateState | undefined>> {
    const out = new Map<AggregateKey, AggregateState | undefined>(keys.map((k) => [k, undefined]));
    for (const table of aggregateTables) {
      const mine = keys.filter((k) => k.startsWith(table.prefix));
      if (mine.length === 0) continue;
      const r = await tx.query(
        `SELECT * FROM ${this.s}.${table.table} WHERE ${table.pk}::text = ANY($1::text[])`,
        [mine.map(pkOfKey)],
      );
      for (const row of r.rows) {
        const state = (table.fromRow as (r: Record<string, unknown>) => AggregateState)(row);
        out.set(`${table.prefix}${String(row[table.pk])}`, state);
      }
    }
    return out;
  }

  /** Upserts the aggregates that have a state and deletes those folded back to nothing. */
  private async writeStates(
    tx: Tx,
    states: Map<AggregateKey, AggregateState | undefined>,
  ): Promise<void> {
    for (const table of aggregateTables) {
      const upserts: Record<string, unknown>[] = [];
      const deletes: string[] = [];
      for (const [k, st] of states) {
        if (!k.startsWith(table.prefix)) continue;
        if (st)
          upserts.push(
            (tableOfState(st).toRow as (s: AggregateState) => Record<string, unknown>)(st),
          );
        else deletes.push(pkOfKey(k));
      }
      if (deletes.length > 0) {
        await tx.query(
          `DELETE FROM ${this.s}.${table.table} WHERE ${table.pk}::text = ANY($1::text[])`,
          [deletes],
        );
      }
      if (upserts.length > 0) {
        const cols = Object.keys(table.columns);
        const updates = cols.filter((c) => c !== table.pk).map((c) => `${c} = EXCLUDED.${c}`);
        await tx.query(
          `INSERT INTO ${this.s}.${table.table} (${cols.join(', ')})
           SELECT ${cols.join(', ')} FROM jsonb_to_recordset($1::jsonb) AS x(${recordsetColumns(table.columns)})
           ON CONFLICT (${table.pk}) DO UPDATE SET ${updates.join(', ')}`,
          [JSON.stringify(upserts)],
        );
      }
    }
  }

  private async insertRecords(
    tx: Tx,
    table: string,
    columns: Record<string, string>,
    rows: Record<string, unknown>[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const cols = Object.keys(columns);
    await tx.query(
      `INSERT INTO ${this.s}.${table} (${cols.join(', ')})
       SELECT ${cols.join(', ')} FROM jsonb_to_recordset($1::jsonb) AS x(${recordsetColumns(columns)})`,
      [JSON.stringify(rows)],
    );
  }
}
