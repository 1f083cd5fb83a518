// In-memory fakes of the chain-indexer ports, for the app-layer specs (excluded from the build).
import { encodeCheckpoint, flowCursor } from '../domain/checkpoint';
import { type EscrowState, type ParticipantState, type StakeState } from '../domain/projection';
import { type RewardRootRequest } from '../domain/reward-root';
import {
  type ChainBalances,
  type ChainJobIds,
  type CursorView,
  type FlowFilter,
  type FlowView,
  type LogView,
  type MirrorReader,
  type RewardRootRequests,
  type RewardRootState,
  type SettlementIntent,
  type SettlementIntents,
} from './ports';

export const CHAIN_ID = 31337;

/** The position of log `logIndex` of transaction 0 in `block`. */
export function logAt(block: number, logIndex = 0): LogView {
  return {
    checkpoint: encodeCheckpoint({
      chainId: CHAIN_ID,
      blockNumber: block,
      transactionIndex: 0,
      logIndex,
    }),
    blockNumber: block,
    blockHash: `0xblock${block}`,
    transactionHash: `0xtx${block}-${logIndex}`,
    transactionIndex: 0,
    logIndex,
  };
}

/** The mirror's tables in memory; keys are lower case, as the indexer writes them. */
export class InMemoryMirror implements MirrorReader {
  head: CursorView | undefined;
  escrows = new Map<string, EscrowState>();
  stakes = new Map<string, StakeState>();
  participants = new Map<string, ParticipantState>();
  chainLogs = new Map<string, LogView>();
  tokenFlows: FlowView[] = [];

  async cursor(): Promise<CursorView | undefined> {
    return this.head;
  }

  async escrow(chainJobId: string): Promise<EscrowState | undefined> {
    return this.escrows.get(chainJobId);
  }

  async stake(provider: string): Promise<StakeState | undefined> {
    return this.stakes.get(provider);
  }

  async participant(account: string): Promise<ParticipantState | undefined> {
    return this.participants.get(account);
  }

  async logs(checkpoints: readonly string[]): Promise<Map<string, LogView>> {
    return new Map(
      checkpoints.flatMap((c) => {
        const log = this.chainLogs.get(c);
        return log ? [[c, log] as const] : [];
      }),
    );
  }

  async clientEscrowTotals(client: string): Promise<{
    escrowed: bigint;
    escrowedJobs: number;
    refunded: bigint;
    cursor?: CursorView;
  }> {
    const mine = [...this.escrows.values()].filter((e) => e.client === client);
    const held = mine.filter((e) => e.status === 'funded');
    return {
      escrowed: held.reduce((s, e) => s + e.amount, 0n),
      escrowedJobs: held.length,
      refunded: mine.reduce((s, e) => s + (e.clientRefund ?? 0n), 0n),
      ...(this.head ? { cursor: this.head } : {}),
    };
  }

  async flows(
    filter: FlowFilter,
    page: { limit: number; after?: string; newestFirst: boolean },
  ): Promise<FlowView[]> {
    const dir = page.newestFirst ? -1 : 1;
    const order = (a: string, b: string) => (a === b ? 0 : a < b ? -1 : 1) * dir;
    return this.tokenFlows
      .filter((f) =>
        'address' in filter
          ? f.from === filter.address || f.to === filter.address
          : f.jobId === filter.jobId,
      )
      .filter((f) => !page.after || order(f.cursor, page.after) > 0)
      .sort((a, b) => order(a.cursor, b.cursor))
      .slice(0, page.limit);
  }

  /** Adds a flow of `amount` from `from` to `to` at log `log`, flow `index` of that log. */
  addFlow(
    log: LogView,
    index: number,
    from: string,
    to: string,
    amount: bigint,
    jobId?: string,
  ): FlowView {
    const flow: FlowView = {
      cursor: flowCursor(log.checkpoint, index),
      kind: 'transfer',
      from,
      to,
      amount: amount.toString(),
      ...(jobId ? { jobId } : {}),
      log,
    };
    this.tokenFlows.push(flow);
    this.chainLogs.set(log.checkpoint, log);
    return flow;
  }
}

/** Chain balances by account; records the block each read was at; `failWith` plays a dead node. */
export class FakeChainBalances implements ChainBalances {
  balances = new Map<string, { agpu: bigint; credits: bigint }>();
  reads: Array<{ account: string; blockNumber: number }> = [];
  failWith: Error | undefined;

  async read(account: string, blockNumber: number): Promise<{ agpu: bigint; credits: bigint }> {
    if (this.failWith) throw this.failWith;
    this.reads.push({ account, blockNumber });
    return this.balances.get(account) ?? { agpu: 0n, credits: 0n };
  }
}

/** Settlement intents as the table keeps them: the first per job wins. */
export class RecordedSettlementIntents implements SettlementIntents {
  intents: SettlementIntent[] = [];

  async record(intent: SettlementIntent): Promise<void> {
    if (!this.intents.some((i) => i.chainJobId === intent.chainJobId)) this.intents.push(intent);
  }
}

/** Readable on-chain ids ("chain:<uuid>"); anything but a UUID is refused, as the chain's are. */
export const fakeChainJobIds: ChainJobIds = {
  chainJobId(jobId: string): string {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(jobId))
      throw new Error(`not a UUID: ${jobId}`);
    return `chain:${jobId.toLowerCase()}`;
  },
};

/** Reward-root requests with the table's rules: one per epoch, a failed one re-opened on retry. */
export class InMemoryRewardRootRequests implements RewardRootRequests {
  rows = new Map<bigint, RewardRootState>();

  async open(request: RewardRootRequest, retryFailed: boolean): Promise<void> {
    const old = this.rows.get(request.epoch);
    if (!old)
      this.rows.set(request.epoch, { ...request, status: 'pending', txHash: '', detail: '' });
    else if (retryFailed && old.status === 'failed')
      this.rows.set(request.epoch, {
        ...old,
        ...request,
        status: 'pending',
        detail: `retry after: ${old.detail}`,
      });
  }

  async get(epoch: bigint): Promise<RewardRootState | undefined> {
    const row = this.rows.get(epoch);
    return row && { ...row };
  }
}
