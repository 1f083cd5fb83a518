import { type EscrowState } from '../../domain/projection';
import { InvalidArgumentError, UnavailableError } from '../errors';
import { CHAIN_ID, FakeChainBalances, InMemoryMirror, logAt } from '../mirror.fixtures';
import { MirrorQueries } from '../query-mirror/mirror-queries';
import { GetBalancesHandler } from './get-balances.handler';

const CLIENT = '0x00000000000000000000000000000000000000c1';

const escrow = (jobId: string, over: Partial<EscrowState>): EscrowState => ({
  kind: 'escrow',
  jobId,
  client: CLIENT,
  status: 'funded',
  amount: 0n,
  pricePerGpuSecond: 1n,
  maxGpuSeconds: 1n,
  tier: '0xtier',
  deadline: 0n,
  nonce: 1n,
  checkpoint: logAt(1).checkpoint,
  blockNumber: 1,
  ...over,
});

describe('GetBalancesHandler', () => {
  let mirror: InMemoryMirror;
  let chain: FakeChainBalances;
  let handler: GetBalancesHandler;

  beforeEach(() => {
    mirror = new InMemoryMirror();
    chain = new FakeChainBalances();
    handler = new GetBalancesHandler(new MirrorQueries(mirror, 0n), chain);
    mirror.escrows.set('a', escrow('a', { amount: 700n }));
    mirror.escrows.set('b', escrow('b', { status: 'settled', amount: 500n, clientRefund: 120n }));
    chain.balances.set(CLIENT, { agpu: 9_000n, credits: 40n });
  });

  it('answers the mirror escrow totals and the chain balances read at the mirror cursor block', async () => {
    mirror.head = {
      chainId: CHAIN_ID,
      blockNumber: 42,
      blockHash: '0xblock42',
      finalizedNumber: 30,
    };

    const b = await handler.handle(CLIENT.toUpperCase().replace('0X', '0x'));

    expect(b).toEqual({
      address: CLIENT,
      agpuBalance: 9_000n,
      escrowed: 700n,
      escrowedJobs: 1,
      withdrawable: 40n,
      refunded: 120n,
      cursor: mirror.head,
    });
    expect(chain.reads).toEqual([{ account: CLIENT, blockNumber: 42 }]);
  });

  it('is unavailable until the mirror has indexed a block, without asking the chain', async () => {
    await expect(handler.handle(CLIENT)).rejects.toThrow(
      new UnavailableError('the mirror has not indexed any block yet'),
    );
    expect(chain.reads).toEqual([]);
  });

  it('is unavailable when the chain node does not answer', async () => {
    mirror.head = {
      chainId: CHAIN_ID,
      blockNumber: 42,
      blockHash: '0xblock42',
      finalizedNumber: 30,
    };
    chain.failWith = new Error('ECONNREFUSED');

    await expect(handler.handle(CLIENT)).rejects.toThrow(
      new UnavailableError('chain node did not answer: ECONNREFUSED'),
    );
  });

  it('refuses what is not an address', async () => {
    await expect(handler.handle('alice')).rejects.toThrow(InvalidArgumentError);
  });
});
