import { type Pool } from 'pg';
import { quoteSchema, type Tx } from '@starminer/eventing';
import { decodeSnapshot, encodeSnapshot } from '../domain/engine-snapshot';
import { applyEntry, initialEngineState, type EngineState } from '../domain/replay';
import { type SignalEvent } from '../domain/signal-events';
import { decodeSignal, encodeSignal } from '../domain/signal-log-codec';
import { type PricingStrategy } from '../domain/strategy';
import { type LoggedSignal, type SignalHistory, type SignalLog } from '../app/ports';

/**
 * The engine's input log and its state snapshots in Postgres, through `db`: a transaction's
 * client for the writes (lock, append, snapshots), the pool for the reads of quotes and replays.
 */
export class PgSignalLog implements SignalLog, SignalHistory {
  private readonly s: string;

  constructor(
    private readonly db: Pool | Tx,
    schema: string,
    private readonly strategy: PricingStrategy,
  ) {
    this.s = quoteSchema(schema);
  }

  /** Appends one entry; an event id seen before is ignored. Returns its position, if new. */
  async append(entry: SignalEvent, eventId?: string): Promise<bigint | undefined> {
    const r = await this.db.query<{ seq: string }>(
      `INSERT INTO ${this.s}.signal_log (event_id, kind, at_ms, body) VALUES ($1, $2, $3, $4)
       ON CONFLICT (event_id) DO NOTHING RETURNING seq`,
      [eventId ?? null, entry.kind, entry.at, encodeSignal(entry)],
    );
    return r.rows[0] ? BigInt(r.rows[0].seq) : undefined;
  }

  /**
   * Blocks appends until the caller's transaction ends, after every append already under way
   * has committed: the tick then sees a log with no gaps below its own position, so replaying the
   * log in position order applies exactly what the tick applied.
   */
  async lock(): Promise<void> {
    await this.db.query(`LOCK TABLE ${this.s}.signal_log IN EXCLUSIVE MODE`);
  }

  /** State after every committed entry: the latest snapshot plus the entries after it. */
  async load(): Promise<{ state: EngineState; seq: bigint }> {
    const snap = await this.db.query<{ seq: string; state: unknown }>(
      `SELECT seq, state FROM ${this.s}.engine_snapshots WHERE strategy = $1 ORDER BY seq DESC LIMIT 1`,
      [this.strategy.id],
    );
    let state = snap.rows[0]
      ? decodeSnapshot(snap.rows[0].state)
      : initialEngineState(this.strategy);
    let seq = snap.rows[0] ? BigInt(snap.rows[0].seq) : 0n;
    for (const row of await this.entriesAfter(seq)) {
      state = applyEntry(this.strategy, state, row.entry).state;
      seq = row.seq;
    }
    return { state, seq };
  }

  async entriesAfter(seq: bigint, limit?: number): Promise<LoggedSignal[]> {
    const r = await this.db.query<{ seq: string; body: unknown }>(
      `SELECT seq, body FROM ${this.s}.signal_log WHERE seq > $1 ORDER BY seq ${limit ? 'LIMIT ' + Number(limit) : ''}`,
      [seq.toString()],
    );
    return r.rows.map((row) => ({
      seq: BigInt(row.seq),
      entry: decodeSignal(row.body, `signal_log#${row.seq}`),
    }));
  }

  /** Stores the state at `seq` and drops snapshots older than the last few. */
  async saveSnapshot(seq: bigint, state: EngineState): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.s}.engine_snapshots (seq, strategy, state) VALUES ($1, $2, $3)
       ON CONFLICT (seq) DO UPDATE SET state = EXCLUDED.state, strategy = EXCLUDED.strategy`,
      [seq.toString(), this.strategy.id, JSON.stringify(encodeSnapshot(state))],
    );
    await this.db.query(
      `DELETE FROM ${this.s}.engine_snapshots WHERE strategy = $1 AND seq < (
         SELECT min(seq) FROM (SELECT seq FROM ${this.s}.engine_snapshots WHERE strategy = $1 ORDER BY seq DESC LIMIT 10) k)`,
      [this.strategy.id],
    );
  }
}
