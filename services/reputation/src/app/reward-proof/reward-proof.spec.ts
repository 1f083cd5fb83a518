import { fakeRewardTrees, InMemoryEpochs } from '../reputation.fixtures';
import { RewardProofQueries } from './reward-proof.queries';

const A = '0x00000000000000000000000000000000000000aa';
const B = '0x00000000000000000000000000000000000000bb';

describe('RewardProofQueries', () => {
  let epochs: InMemoryEpochs;
  let queries: RewardProofQueries;

  const store = async (epoch: bigint, pays: Record<string, bigint>, posted: boolean) => {
    const allocations = Object.entries(pays).map(([account, amount]) => ({ account, amount }));
    const tree = fakeRewardTrees.build(epoch, allocations);
    await epochs.save({ epoch, ...tree });
    if (posted) await epochs.markPosted(epoch, `0xtx-${epoch}`);
  };

  /** Given epoch 1 paying A and B, epoch 2 paying B only, epoch 3 built but not posted. */
  beforeEach(async () => {
    epochs = new InMemoryEpochs();
    queries = new RewardProofQueries(epochs, fakeRewardTrees);
    await store(1n, { [A]: 10n, [B]: 20n }, true);
    await store(2n, { [B]: 30n }, true);
    await store(3n, { [A]: 40n }, false);
  });

  it('serves the claim of an account in the epoch asked', async () => {
    const found = await queries.proof(B, 1n);

    expect(found?.claim).toEqual({ epoch: 1n, account: B, amount: 20n, proof: [`proof-of-${B}`] });
    expect(found?.epoch).toMatchObject({ epoch: 1n, postTx: '0xtx-1' });
  });

  it('serves the latest posted epoch paying the account when asked for epoch 0', async () => {
    expect((await queries.proof(B, 0n))?.claim.epoch).toBe(2n);
    expect((await queries.proof(A.toUpperCase().replace('0X', '0x'), 0n))?.claim).toMatchObject({
      epoch: 1n,
      amount: 10n,
    });
  });

  it('serves nothing from an epoch not posted, one not paying the account, or one not stored', async () => {
    expect(await queries.proof(A, 3n)).toBeUndefined();
    expect(await queries.proof(A, 2n)).toBeUndefined();
    expect(await queries.proof(A, 9n)).toBeUndefined();
  });

  it('serves nothing from an epoch posted with the zero root', async () => {
    await epochs.save({ epoch: 4n, root: `0x${'0'.repeat(64)}`, total: 0n, tree: '{}' });
    await epochs.markPosted(4n, '');

    expect(await queries.proof(A, 4n)).toBeUndefined();
  });
});
