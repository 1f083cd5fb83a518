import { type Pool } from 'pg';
import { quoteSchema } from '@starminer/eventing';
import { decodeCheckpoint } from '../domain/checkpoint';
import { type EscrowState, type ParticipantState, type StakeState } from '../domain/projection';
import {
  type CursorView,
  type FlowFilter,
  type FlowView,
  type LogView,
  type MirrorReader,
} from '../app/ports';
import { escrowTable, participantTable, stakeTable } from './aggregate-tables';

/** The mirror's tables in Postgres, read through the pool (each read one statement). */
export class PgMirrorReader implements MirrorReader {
  private readonly s: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.s = quoteSchema(schema);
  }

  async cursor(): Promise<CursorView | undefined> {
    const r = await this.pool.query<{
      chain_id: string;
      block_number: string;
      block_hash: string;
      finalized_number: string;
    }>(
      `SELECT chain_id, block_number, block_hash, finalized_number FROM ${this.s}.indexer_cursor LIMIT 1`,
    );
    const row = r.rows[0];
    return row
      ? {
          chainId: Number(row.chain_id),
          blockNumber: Number(row.block_number),
          blockHash: row.block_hash,
          finalizedNumber: Number(row.finalized_number),
        }
      : undefined;
  }

  async escrow(chainJobId: string): Promise<EscrowState | undefined> {
    const r = await this.pool.query(`SELECT * FROM ${this.s}.escrows WHERE job_id = $1`, [
      chainJobId,
    ]);
    return r.rows[0] ? escrowTable.fromRow(r.rows[0]) : undefined;
  }

  async stake(provider: string): Promise<StakeState | undefined> {
    const r = await this.pool.query(`SELECT * FROM ${this.s}.stakes WHERE provider = $1`, [
      provider,
    ]);
    return r.rows[0] ? stakeTable.fromRow(r.rows[0]) : undefined;
  }

  async participant(account: string): Promise<ParticipantState | undefined> {
    const r = await this.pool.query(`SELECT * FROM ${this.s}.participants WHERE account = $1`, [
      account,
    ]);
    return r.rows[0] ? participantTable.fromRow(r.rows[0]) : undefined;
  }

  /** One statement, so one snapshot: totals and cursor always agree. */
  async clientEscrowTotals(client: string): Promise<{
    escrowed: bigint;
    escrowedJobs: number;
    refunded: bigint;
    cursor?: CursorView;
  }> {
    const r = await this.pool.query<{
      escrowed: string;
      jobs: string;
      refunded: string;
      chain_id: string | null;
      block_number: string | null;
      block_hash: string | null;
      finalized_number: string | null;
    }>(
      `WITH t AS (
         SELECT COALESCE(SUM(amount) FILTER (WHERE status = 'funded'), 0)::text AS escrowed,
                COUNT(*) FILTER (WHERE status = 'funded')::text AS jobs,
                COALESCE(SUM(client_refund), 0)::text AS refunded
           FROM ${this.s}.escrows WHERE client = $1)
       SELECT t.*, c.chain_id, c.block_number, c.block_hash, c.finalized_number
         FROM t LEFT JOIN (SELECT * FROM ${this.s}.indexer_cursor LIMIT 1) c ON true`,
      [client],
    );
    const row = r.rows[0]!;
    return {
      escrowed: BigInt(row.escrowed),
      escrowedJobs: Number(row.jobs),
      refunded: BigInt(row.refunded),
      cursor:
        row.block_number === null
          ? undefined
          : {
              chainId: Number(row.chain_id),
              blockNumber: Number(row.block_number),
              blockHash: row.block_hash!,
              finalizedNumber: Number(row.finalized_number),
            },
    };
  }

  async flows(
    filter: FlowFilter,
    page: { limit: number; after?: string; newestFirst: boolean },
  ): Promise<FlowView[]> {
    const [where, key] =
      'address' in filter
        ? ['(from_address = $1 OR to_address = $1)', filter.address]
        : ['job_id = $1', filter.jobId];
    const op = page.newestFirst ? '<' : '>';
    const params: unknown[] = [key, page.limit];
    let after = '';
    if (page.after) {
      params.push(page.after);
      after = `AND f.cursor ${op} $3`;
    }
    const r = await this.pool.query<{
      cursor: string;
      checkpoint: string;
      kind: FlowView['kind'];
      from_address: string;
      to_address: string;
      amount: string;
      job_id: string | null;
      block_hash: string | null;
      transaction_hash: string | null;
    }>(
      `SELECT f.cursor, f.checkpoint, f.kind, f.from_address, f.to_address, f.amount::text AS amount, f.job_id,
              l.block_hash, l.transaction_hash
         FROM ${this.s}.token_flows f LEFT JOIN ${this.s}.chain_logs l ON l.checkpoint = f.checkpoint
        WHERE ${where} ${after}
        ORDER BY f.cursor ${page.newestFirst ? 'DESC' : 'ASC'} LIMIT $2`,
      params,
    );
    return r.rows.map((x) => {
      const c = decodeCheckpoint(x.checkpoint);
      return {
        cursor: x.cursor,
        kind: x.kind,
        from: x.from_address,
        to: x.to_address,
        amount: x.amount,
        jobId: x.job_id ?? undefined,
        log: {
          checkpoint: x.checkpoint,
          blockNumber: c.blockNumber,
          blockHash: x.block_hash ?? '',
          transactionHash: x.transaction_hash ?? '',
          transactionIndex: c.transactionIndex,
          logIndex: c.logIndex,
        },
      };
    });
  }

  async logs(checkpoints: readonly string[]): Promise<Map<string, LogView>> {
    if (checkpoints.length === 0) return new Map();
    const r = await this.pool.query<{
      checkpoint: string;
      block_number: string;
      block_hash: string;
      transaction_hash: string;
      transaction_index: number;
      log_index: number;
    }>(
      `SELECT checkpoint, block_number, block_hash, transaction_hash, transaction_index, log_index
         FROM ${this.s}.chain_logs WHERE checkpoint = ANY($1::text[])`,
      [checkpoints],
    );
    return new Map(
      r.rows.map((x) => [
        x.checkpoint,
        {
          checkpoint: x.checkpoint,
          blockNumber: Number(x.block_number),
          blockHash: x.block_hash,
          transactionHash: x.transaction_hash,
          transactionIndex: x.transaction_index,
          logIndex: x.log_index,
        },
      ]),
    );
  }
}
