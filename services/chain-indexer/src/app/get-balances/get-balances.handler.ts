import { UnavailableError } from '../errors';
import { type ChainBalances, type CursorView } from '../ports';
import { type MirrorQueries } from '../query-mirror/mirror-queries';

export interface AccountBalances {
  address: string;
  agpuBalance: bigint;
  escrowed: bigint;
  escrowedJobs: number;
  withdrawable: bigint;
  refunded: bigint;
  cursor: CursorView;
}

/**
 * An account's money as of the mirror's cursor: deposits held and refunds from the mirror, the
 * AGPU balance and withdrawable escrow credits read from the chain at that same block, so the
 * four figures describe one moment (a deposit is never counted both as held and as escrowed).
 */
export class GetBalancesHandler {
  constructor(
    private readonly mirror: MirrorQueries,
    private readonly chain: ChainBalances,
  ) {}

  async handle(address: string): Promise<AccountBalances> {
    const account = this.mirror.checkedAddress(address);
    const totals = await this.mirror.clientEscrowTotals(account);
    const cursor = totals.cursor;
    if (!cursor) throw new UnavailableError('the mirror has not indexed any block yet');
    const onChain = await this.chain.read(account, cursor.blockNumber).catch((err: unknown) => {
      throw new UnavailableError(
        `chain node did not answer: ${err instanceof Error ? err.message : String(err)}`,
      );
    });
    return {
      address: account,
      agpuBalance: onChain.agpu,
      escrowed: totals.escrowed,
      escrowedJobs: totals.escrowedJobs,
      withdrawable: onChain.credits,
      refunded: totals.refunded,
      cursor,
    };
  }
}
