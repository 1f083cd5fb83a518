import { Interface } from 'ethers';
import { type ChainBalances } from '../app/ports';
import { type JsonRpcClient } from './json-rpc';

const erc20 = new Interface(['function balanceOf(address) view returns (uint256)']);
const escrow = new Interface(['function credits(address) view returns (uint256)']);

/**
 * Reads the two balances the mirror does not fold: AGPU held (the token's balanceOf) and the
 * escrow's withdrawable credits (credits(account)). Both are read at a given block, the mirror's
 * cursor, so they agree with the mirrored escrow deposits of the same answer.
 */
export class AccountBalancesReader implements ChainBalances {
  constructor(
    private readonly rpc: JsonRpcClient,
    private readonly contracts: { agpu: string; jobEscrow: string },
  ) {}

  async read(account: string, blockNumber: number): Promise<{ agpu: bigint; credits: bigint }> {
    const tag = `0x${blockNumber.toString(16)}`;
    const [agpu, credits] = await this.rpc.batch<string>([
      {
        method: 'eth_call',
        params: [
          { to: this.contracts.agpu, data: erc20.encodeFunctionData('balanceOf', [account]) },
          tag,
        ],
      },
      {
        method: 'eth_call',
        params: [
          { to: this.contracts.jobEscrow, data: escrow.encodeFunctionData('credits', [account]) },
          tag,
        ],
      },
    ]);
    return { agpu: BigInt(agpu!), credits: BigInt(credits!) };
  }
}
