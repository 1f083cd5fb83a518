import { RewardTree } from '@starminer/chain';
import { startAnvil, type TestChain } from './support/anvil';
import { eventsOf, expectEvent, indexedInputs } from './support/events';
import { expectRevert } from './support/revert';
import { ACCOUNT, AGPU, addressOf, deployFixture, type Fixture } from './support/fixture';

const FUNDER = 10;

describe('RewardDistributor', () => {
  let chain: TestChain;
  let fx: Fixture;
  let tree: RewardTree;

  beforeAll(async () => {
    chain = await startAnvil();
    fx = await deployFixture(chain);
    tree = RewardTree.build(1n, [
      { account: addressOf(11), amount: AGPU(10) },
      { account: addressOf(12), amount: AGPU(20) },
      { account: addressOf(13), amount: AGPU(5) },
    ]);
  });
  afterAll(() => chain.stop());

  it('indexes epochs and accounts in its events', () => {
    expect(indexedInputs(fx.read.rewardDistributor, 'EpochPosted')).toEqual([
      'epoch',
      'root',
      'validator',
    ]);
    expect(indexedInputs(fx.read.rewardDistributor, 'Claimed')).toEqual(['epoch', 'account']);
  });

  it('accrues deposits and records what arrived', async () => {
    const f = await fx.as(FUNDER);
    await (await f.agpu.approve(fx.deployments.contracts.rewardDistributor, AGPU(40))).wait();
    await expectRevert(f.rewardDistributor.depositRewards(0), 'ZeroAmount');
    const events = await eventsOf(
      f.rewardDistributor,
      f.rewardDistributor.depositRewards(AGPU(40)),
    );
    expectEvent(events, 'RewardsDeposited', { from: addressOf(FUNDER), amount: AGPU(40) });
    expect(await fx.read.rewardDistributor.available()).toBe(AGPU(40));
  });

  it('posts epochs in order, within the unallocated balance', async () => {
    const v = (await fx.as(ACCOUNT.validator)).rewardDistributor;
    await expectRevert(v.postEpoch(2, tree.root, tree.total), 'EpochOutOfOrder', [1n, 2n]);
    await expectRevert(v.postEpoch(1, `0x${'0'.repeat(64)}`, 1n), 'EmptyRoot');
    await expectRevert(v.postEpoch(1, tree.root, AGPU(41)), 'InsufficientRewards', [
      AGPU(40),
      AGPU(41),
    ]);
    const events = await eventsOf(v, v.postEpoch(1, tree.root, tree.total));
    expectEvent(events, 'EpochPosted', {
      epoch: 1n,
      root: tree.root,
      total: AGPU(35),
      validator: addressOf(ACCOUNT.validator),
    });
    expect(await v.reserved()).toBe(AGPU(35));
    expect(await v.available()).toBe(AGPU(5));
    expect(await v.nextEpoch()).toBe(2n);
    await expectRevert(v.postEpoch(1, tree.root, 1n), 'EpochOutOfOrder', [2n, 1n]);
  });

  it('pays each account once per epoch with a valid proof, to that account whoever submits', async () => {
    const anyone = (await fx.as(ACCOUNT.outsider)).rewardDistributor;
    const c = tree.claimFor(addressOf(12));
    if (!c) throw new Error('no claim');
    await expectRevert(anyone.claim(1, c.account, c.amount + 1n, c.proof), 'InvalidProof', [
      1n,
      c.account,
      c.amount + 1n,
    ]);
    await expectRevert(anyone.claim(1, addressOf(14), c.amount, c.proof), 'InvalidProof');
    await expectRevert(anyone.claim(9, c.account, c.amount, c.proof), 'UnknownEpoch', [9n]);
    const before = await fx.read.agpu.balanceOf(c.account);
    expectEvent(await eventsOf(anyone, anyone.claim(1, c.account, c.amount, c.proof)), 'Claimed', {
      epoch: 1n,
      account: c.account,
      amount: AGPU(20),
    });
    expect(await fx.read.agpu.balanceOf(c.account)).toBe(before + AGPU(20));
    await expectRevert(anyone.claim(1, c.account, c.amount, c.proof), 'AlreadyClaimed', [
      1n,
      c.account,
    ]);
    expect(await anyone.reserved()).toBe(AGPU(15));
  });

  it('refuses a tree that allocates more than the epoch total', async () => {
    const f = await fx.as(FUNDER);
    await (await f.agpu.approve(fx.deployments.contracts.rewardDistributor, AGPU(100))).wait();
    await (await f.rewardDistributor.depositRewards(AGPU(100))).wait();
    const greedy = RewardTree.build(2n, [
      { account: addressOf(11), amount: AGPU(8) },
      { account: addressOf(12), amount: AGPU(8) },
    ]);
    const v = (await fx.as(ACCOUNT.validator)).rewardDistributor;
    await (await v.postEpoch(2, greedy.root, AGPU(10))).wait();
    const [a, b] = greedy.claims();
    if (!a || !b) throw new Error('no claims');
    await (await v.claim(2, a.account, a.amount, a.proof)).wait();
    await expectRevert(v.claim(2, b.account, b.amount, b.proof), 'EpochOverclaimed', [
      2n,
      AGPU(10),
      AGPU(16),
    ]);
  });

  it('expires an epoch after its claim window and frees what was not claimed', async () => {
    const anyone = (await fx.as(ACCOUNT.outsider)).rewardDistributor;
    const epoch = await anyone.epochOf(1);
    await expectRevert(anyone.expireEpoch(1), 'ClaimWindowOpen', [1n, epoch.postedAt + 86_400n]);
    await chain.rpc('evm_setNextBlockTimestamp', [Number(epoch.postedAt + 86_400n)]);
    const availableBefore = await anyone.available();
    expectEvent(await eventsOf(anyone, anyone.expireEpoch(1)), 'EpochExpired', {
      epoch: 1n,
      unclaimed: AGPU(15),
    });
    expect(await anyone.available()).toBe(availableBefore + AGPU(15));
    const late = tree.claimFor(addressOf(11));
    if (!late) throw new Error('no claim');
    await expectRevert(anyone.claim(1, late.account, late.amount, late.proof), 'EpochClosed', [1n]);
    await expectRevert(anyone.expireEpoch(1), 'EpochClosed', [1n]);
    await expectRevert(anyone.expireEpoch(7), 'UnknownEpoch', [7n]);
  });

  it('lets the admin change the claim window, not below a day', async () => {
    const admin = (await fx.as(ACCOUNT.admin)).rewardDistributor;
    expectEvent(await eventsOf(admin, admin.setClaimWindow(2 * 86_400)), 'ClaimWindowChanged', {
      claimWindow: 172_800n,
    });
    await expectRevert(admin.setClaimWindow(3_600), 'ClaimWindowTooShort', [3_600n, 86_400n]);
  });

  it('round-trips a tree through JSON for later proofs', () => {
    const restored = RewardTree.fromJSON(tree.toJSON());
    expect(restored.root).toBe(tree.root);
    expect(restored.epoch).toBe(1n);
    expect(restored.claimFor(addressOf(13))?.proof).toEqual(tree.claimFor(addressOf(13))?.proof);
  });
});
