import { isFlowCursor } from '../../domain/checkpoint';
import {
  type EscrowState,
  type ParticipantState,
  type StakeState,
  isActiveProvider,
} from '../../domain/projection';
import { InvalidArgumentError, NotFoundError } from '../errors';
import {
  type CursorView,
  type FlowFilter,
  type FlowView,
  type LogView,
  type MirrorReader,
} from '../ports';

export interface FlowPage {
  flows: FlowView[];
  nextPageToken: string;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const JOB_HEX = /^0x[0-9a-fA-F]{64}$/;

/**
 * Reads the mirror for the gRPC API: checks what callers pass, answers not found where the
 * mirror holds nothing, and pages flows. Every answer comes with the cursor it is current at;
 * paging of flows is keyset paging on the flow cursor (checkpoint + index in the log), so pages
 * stay stable while the indexer appends.
 */
export class MirrorQueries {
  constructor(
    private readonly mirror: MirrorReader,
    private readonly minStake: bigint,
  ) {}

  cursor(): Promise<CursorView | undefined> {
    return this.mirror.cursor();
  }

  async escrow(
    chainJobId: string,
  ): Promise<{ escrow: EscrowState; funded?: LogView; closed?: LogView }> {
    if (!JOB_HEX.test(chainJobId))
      throw new InvalidArgumentError(`job id must be a UUID or 0x bytes32: ${chainJobId}`);
    const escrow = await this.mirror.escrow(chainJobId.toLowerCase());
    if (!escrow) throw new NotFoundError(`no escrow for job ${chainJobId} in the mirror`);
    const logs = await this.mirror.logs(
      [escrow.fundedAt, escrow.closedAt].filter((c): c is string => !!c),
    );
    return {
      escrow,
      funded: escrow.fundedAt ? logs.get(escrow.fundedAt) : undefined,
      closed: escrow.closedAt ? logs.get(escrow.closedAt) : undefined,
    };
  }

  /** A provider's stake; all zero for one that never staked. */
  async stake(provider: string): Promise<{ stake: StakeState; updated?: LogView }> {
    const p = this.address(provider);
    const stake: StakeState = (await this.mirror.stake(p)) ?? {
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
    const logs = await this.mirror.logs(stake.checkpoint ? [stake.checkpoint] : []);
    return { stake, updated: logs.get(stake.checkpoint) };
  }

  async provider(account: string): Promise<{
    participant: ParticipantState;
    stake: StakeState;
    active: boolean;
    updated?: LogView;
  }> {
    const a = this.address(account);
    const participant = await this.mirror.participant(a);
    if (!participant) throw new NotFoundError(`account ${a} never registered`);
    const { stake } = await this.stake(a);
    const logs = await this.mirror.logs([participant.checkpoint]);
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
   * they are current at (one snapshot: totals and cursor always agree).
   */
  async clientEscrowTotals(account: string): Promise<{
    escrowed: bigint;
    escrowedJobs: number;
    refunded: bigint;
    cursor?: CursorView;
  }> {
    return this.mirror.clientEscrowTotals(this.address(account));
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
    return this.flows({ address: a }, pageSize, pageToken, newestFirst);
  }

  flowsByJob(
    chainJobId: string,
    pageSize: number,
    pageToken: string,
    newestFirst: boolean,
  ): Promise<FlowPage> {
    if (!JOB_HEX.test(chainJobId))
      throw new InvalidArgumentError(`job id must be a UUID or 0x bytes32: ${chainJobId}`);
    return this.flows({ jobId: chainJobId.toLowerCase() }, pageSize, pageToken, newestFirst);
  }

  private async flows(
    filter: FlowFilter,
    pageSize: number,
    pageToken: string,
    newestFirst: boolean,
  ): Promise<FlowPage> {
    const size = pageSize === 0 ? 50 : pageSize;
    if (size < 1 || size > 500)
      throw new InvalidArgumentError('page_size must be 1..500 (0 means 50)');
    if (pageToken && !isFlowCursor(pageToken))
      throw new InvalidArgumentError('page_token is not a cursor of this API');
    const found = await this.mirror.flows(filter, {
      limit: size + 1,
      ...(pageToken ? { after: pageToken } : {}),
      newestFirst,
    });
    const flows = found.slice(0, size);
    return {
      flows,
      nextPageToken: found.length > size ? flows[flows.length - 1]!.cursor : '',
    };
  }

  private address(a: string): string {
    if (!ADDRESS.test(a)) throw new InvalidArgumentError(`not an address: ${a}`);
    return a.toLowerCase();
  }
}
