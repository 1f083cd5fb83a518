import { type Pool } from 'pg';
import { quoteSchema } from '@starminer/eventing';
import { decodeCheckpoint, isFlowCursor } from '../../domain/checkpoint';
import {
  type EscrowState,
  type ParticipantState,
  type StakeState,
  isActiveProvider,
} from '../../domain/projection';
import { escrowTable, participantTable, stakeTable } from '../../infra/aggregate-tables';

export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
}
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}
/** The mirror cannot answer yet (nothing indexed) or the chain node did not answer. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
}

export interface CursorView {
  chainId: number;
  blockNumber: number;
  blockHash: string;
  finalizedNumber: number;
}

export interface LogView {
  checkpoint: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  transactionIndex: number;
  logIndex: number;
}

export interface FlowView {
  cursor: string;
  kind: 'transfer' | 'escrow_credit' | 'protocol_fee';
  from: string;
  to: string;
  amount: string;
  jobId?: string;
  log?: LogView;
}

export interface FlowPage {
  flows: FlowView[];
  nextPageToken: string;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const JOB_HEX = /^0x[0-9a-fA-F]{64}$/;

/**
 * Reads the mirror for the gRPC API. Every answer comes with the cursor it is current at; paging
 * of flows is keyset paging on the flow cursor (checkpoint + index in the log), so pages stay
 * stable while the indexer appends.
 */
export class MirrorQueries {
  private readonly s: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
    private readonly minStake: bigint,
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

  async escrow(
    chainJobId: string,
  ): Promise<{ escrow: EscrowState; funded?: LogView; closed?: LogView }> {
    if (!JOB_HEX.test(chainJobId))
      throw new InvalidArgumentError(`job id must be a UUID or 0x bytes32: ${chainJobId}`);
    const r = await this.pool.query(`SELECT * FROM ${this.s}.escrows WHERE job_id = $1`, [
      chainJobId.toLowerCase(),
    ]);
    if (!r.rows[0]) throw new NotFoundError(`no escrow for job ${chainJobId} in the mirror`);
    const escrow = escrowTable.fromRow(r.rows[0]);
    const logs = await this.logs(
      [escrow.fundedAt, escrow.closedAt].filter((c): c is string => !!c),
    );
    return {
      escrow,
      funded: escrow.fundedAt ? logs.get(escrow.fundedAt) : undefined,
      closed: escrow.closedAt ? logs.get(escrow.closedAt) : undefined,
    };
  }

  async stake(provider: string): Promise<{ stake: StakeState; updated?: LogView }> {
    const p = this.address(provider);
    const r = await this.pool.query(`SELECT * FROM ${this.s}.stakes WHERE provider = $1`, [p]);
    const stake: StakeState = r.rows[0]
      ? stakeTable.fromRow(r.rows[0])
      : {
          kind: 'stake',
          provider: p,
          bonded: 0n,
          unbonding: 0n,
          unbondReadyAt: 0n,
          slashed: 0n,
          withdrawn: 0n,
          checkpoint: '',
          blockNumber: 0,
        };
    const logs = await this.logs(stake.checkpoint ? [stake.checkpoint] : []);
    return { stake, updated: logs.get(stake.checkpoint) };
  }

  async provider(account: string): Promise<{
    participant: ParticipantState;
    stake: StakeState;
    active: boolean;
    updated?: LogView;
  }> {
    const a = this.address(account);
    const r = await this.pool.query(`SELECT * FROM ${this.s}.participants WHERE account = $1`, [a]);
    if (!r.rows[0]) throw new NotFoundError(`account ${a} never registered`);
    const participant = participantTable.fromRow(r.rows[0]);
    const { stake } = await this.stake(a);
    const logs = await this.logs([participant.checkpoint]);
    return {
      participant,
      stake,
      active: isActiveProvider(participant, stake, this.minStake),
      updated: logs.get(participant.checkpoint),
    };
  }

  /**
   * Totals over the escrows an account funded as a client: deposits still held (status funded)
   * and everything credited back to it (settlement refunds, refunds, reclaims), with the cursor
   * they are current at. One statement, so one snapshot: totals and cursor always agree.
   */
  async clientEscrowTotals(account: string): Promise<{
    escrowed: bigint;
    escrowedJobs: number;
    refunded: bigint;
    cursor?: CursorView;
  }> {
    const a = this.address(account);
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
      [a],
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

  /** A checked, lower-case 0x address; INVALID_ARGUMENT otherwise. */
  checkedAddress(a: string): string {
    return this.address(a);
  }

  flowsByAddress(
    address: string,
    pageSize: number,
    pageToken: string,
    newestFirst: boolean,
  ): Promise<FlowPage> {
    const a = this.address(address);
    return this.flows(
      '(from_address = $1 OR to_address = $1)',
      a,
      pageSize,
      pageToken,
      newestFirst,
    );
  }

  flowsByJob(
    chainJobId: string,
    pageSize: number,
    pageToken: string,
    newestFirst: boolean,
  ): Promise<FlowPage> {
    if (!JOB_HEX.test(chainJobId))
      throw new InvalidArgumentError(`job id must be a UUID or 0x bytes32: ${chainJobId}`);
    return this.flows('job_id = $1', chainJobId.toLowerCase(), pageSize, pageToken, newestFirst);
  }

  private async flows(
    where: string,
    key: string,
    pageSize: number,
    pageToken: string,
    newestFirst: boolean,
  ): Promise<FlowPage> {
    const size = pageSize === 0 ? 50 : pageSize;
    if (size < 1 || size > 500)
      throw new InvalidArgumentError('page_size must be 1..500 (0 means 50)');
    if (pageToken && !isFlowCursor(pageToken))
      throw new InvalidArgumentError('page_token is not a cursor of this API');
    const op = newestFirst ? '<' : '>';
    const params: unknown[] = [key, size + 1];
    let after = '';
    if (pageToken) {
      params.push(pageToken);
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
        ORDER BY f.cursor ${newestFirst ? 'DESC' : 'ASC'} LIMIT $2`,
      params,
    );
    const rows = r.rows.slice(0, size);
    return {
      flows: rows.map((x) => {
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
      }),
      nextPageToken: r.rows.length > size ? rows[rows.length - 1]!.cursor : '',
    };
  }

  private address(a: string): string {
    if (!ADDRESS.test(a)) throw new InvalidArgumentError(`not an address: ${a}`);
    return a.toLowerCase();
  }

  private async logs(checkpoints: string[]): Promise<Map<string, LogView>> {
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
