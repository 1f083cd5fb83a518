import { toBytes32, Roles } from '@starminer/chain';
import { id } from 'ethers';
import { startAnvil, type TestChain } from './support/anvil';
import { eventsOf, expectEvent, indexedInputs } from './support/events';
import { expectRevert } from './support/revert';
import {
  ACCOUNT,
  AGPU,
  activeProvider,
  addressOf,
  deployFixture,
  type Fixture,
} from './support/fixture';

const PROVIDER = 10;
const OTHER = 11;

describe('Staking', () => {
  let chain: TestChain;
  let fx: Fixture;

  beforeAll(async () => {
    chain = await startAnvil();
    fx = await deployFixture(chain);
  });
  afterAll(() => chain.stop());

  it('indexes provider and evidence in its events', () => {
    expect(indexedInputs(fx.read.staking, 'Staked')).toEqual(['provider']);
    expect(indexedInputs(fx.read.staking, 'Slashed')).toEqual(['provider', 'evidenceHash']);
  });

  it('accepts stake only from registered providers, and not zero', async () => {
    const s = (await fx.as(OTHER)).staking;
    await expectRevert(s.stake(AGPU(1)), 'NotAProvider', [addressOf(OTHER)]);
    await expectRevert(s.stake(0), 'ZeroAmount');
  });

  it('makes a provider active at the minimum stake', async () => {
    const p = await fx.as(PROVIDER);
    await (await p.providerRegistry.registerProvider('ipfs://p', [toBytes32('eu-west')])).wait();
    await (await p.agpu.approve(fx.deployments.contracts.staking, AGPU(1_000))).wait();
    expectEvent(await eventsOf(p.staking, p.staking.stake(AGPU(60))), 'Staked', {
      provider: addressOf(PROVIDER),
      amount: AGPU(60),
      bonded: AGPU(60),
    });
    expect(await p.staking.isActive(addressOf(PROVIDER))).toBe(false);
    await (await p.staking.stake(AGPU(40))).wait();
    expect(await p.staking.isActive(addressOf(PROVIDER))).toBe(true);
    expect(await p.staking.totalBonded()).toBe(AGPU(100));
  });

  it('unbonds, then withdraws only after the delay; a new unbond restarts it', async () => {
    const p = await fx.as(PROVIDER);
    await expectRevert(p.staking.unbond(AGPU(101)), 'InsufficientBondedStake', [
      AGPU(100),
      AGPU(101),
    ]);
    await expectRevert(p.staking.unbond(0), 'ZeroAmount');
    await expectRevert(p.staking.withdraw(), 'NothingToWithdraw', [addressOf(PROVIDER)]);
    const events = await eventsOf(p.staking, p.staking.unbond(AGPU(10)));
    const now = BigInt(await chain.now());
    expectEvent(events, 'UnbondStarted', {
      provider: addressOf(PROVIDER),
      amount: AGPU(10),
      unbonding: AGPU(10),
      readyAt: now + 1_000n,
    });
    expect(await p.staking.isActive(addressOf(PROVIDER))).toBe(false);
    await chain.increaseTime(500);
    await (await p.staking.unbond(AGPU(10))).wait();
    const readyAt = (await p.staking.stakeOf(addressOf(PROVIDER))).unbondReadyAt;
    await expectRevert(p.staking.withdraw(), 'UnbondingNotReady', [readyAt]);
    await chain.rpc('evm_setNextBlockTimestamp', [Number(readyAt)]);
    const before = await fx.read.agpu.balanceOf(addressOf(PROVIDER));
    expectEvent(await eventsOf(p.staking, p.staking.withdraw()), 'Withdrawn', {
      provider: addressOf(PROVIDER),
      amount: AGPU(20),
    });
    expect(await fx.read.agpu.balanceOf(addressOf(PROVIDER))).toBe(before + AGPU(20));
    expect(await p.staking.stakeOf(addressOf(PROVIDER))).toEqual([AGPU(80), 0n, 0n]);
  });

  it('slashes bonded stake first, then unbonding stake, and sends it to the treasury', async () => {
    const p = await fx.as(PROVIDER);
    await (await p.staking.unbond(AGPU(30))).wait(); // bonded 50, unbonding 30
    const slasher = await fx.as(ACCOUNT.slasher);
    const evidence = id('double-sign:job-1');
    const treasuryBefore = await fx.read.agpu.balanceOf(addressOf(ACCOUNT.treasury));
    const events = await eventsOf(
      slasher.staking,
      slasher.staking.slash(addressOf(PROVIDER), AGPU(70), evidence),
    );
    expectEvent(events, 'Slashed', {
      provider: addressOf(PROVIDER),
      evidenceHash: evidence,
      amount: AGPU(70),
      fromBonded: AGPU(50),
      fromUnbonding: AGPU(20),
      recipient: addressOf(ACCOUNT.treasury),
    });
    expect(await fx.read.agpu.balanceOf(addressOf(ACCOUNT.treasury))).toBe(
      treasuryBefore + AGPU(70),
    );
    const s = await fx.read.staking.stakeOf(addressOf(PROVIDER));
    expect([s.bonded, s.unbonding]).toEqual([0n, AGPU(10)]);
    expect(await fx.read.staking.evidenceUsed(evidence)).toBe(true);
  });

  it('cannot be escaped by unbonding: all-unbonding stake is still slashable, never above what is held', async () => {
    const slasher = (await fx.as(ACCOUNT.slasher)).staking;
    await expectRevert(
      slasher.slash(addressOf(PROVIDER), AGPU(11), id('e2')),
      'SlashExceedsStake',
      [AGPU(10), AGPU(11)],
    );
    await expectRevert(
      slasher.slash(addressOf(PROVIDER), AGPU(1), id('double-sign:job-1')),
      'EvidenceAlreadyUsed',
      [id('double-sign:job-1')],
    );
    await expectRevert(
      slasher.slash(addressOf(PROVIDER), AGPU(1), `0x${'0'.repeat(64)}`),
      'EmptyEvidence',
    );
    await expectRevert(slasher.slash(addressOf(PROVIDER), 0, id('e3')), 'ZeroAmount');
    await (await slasher.slash(addressOf(PROVIDER), AGPU(10), id('e4'))).wait();
    expect(await slasher.stakeOf(addressOf(PROVIDER))).toEqual([
      0n,
      0n,
      (await slasher.stakeOf(addressOf(PROVIDER))).unbondReadyAt,
    ]);
    await expectRevert((await fx.as(PROVIDER)).staking.withdraw(), 'NothingToWithdraw');
  });

  it('lets the admin set parameters, within bounds, with events', async () => {
    const admin = (await fx.as(ACCOUNT.admin)).staking;
    expectEvent(await eventsOf(admin, admin.setMinStake(AGPU(5))), 'MinStakeChanged', {
      minStake: AGPU(5),
    });
    expectEvent(await eventsOf(admin, admin.setUnbondingDelay(3_600)), 'UnbondingDelayChanged', {
      unbondingDelay: 3_600n,
    });
    await expectRevert(admin.setUnbondingDelay(90 * 86_400 + 1), 'UnbondingDelayTooLong');
    const rewards = fx.deployments.contracts.rewardDistributor;
    expectEvent(await eventsOf(admin, admin.setSlashRecipient(rewards)), 'SlashRecipientChanged', {
      slashRecipient: rewards,
    });
    await expectRevert(
      admin.setSlashRecipient('0x0000000000000000000000000000000000000000'),
      'ZeroAddress',
    );
    // Slashed stake now feeds the reward pool.
    await activeProvider(fx, OTHER, AGPU(10));
    await (
      await (await fx.as(ACCOUNT.slasher)).staking.slash(addressOf(OTHER), AGPU(4), id('e5'))
    ).wait();
    expect(await fx.read.rewardDistributor.available()).toBe(AGPU(4));
    expect(await fx.read.staking.hasRole(Roles.SLASHER, addressOf(ACCOUNT.slasher))).toBe(true);
  });

  it('holds exactly the bonded plus unbonding stake', async () => {
    const s = fx.read.staking;
    expect(await fx.read.agpu.balanceOf(fx.deployments.contracts.staking)).toBe(
      (await s.totalBonded()) + (await s.totalUnbonding()),
    );
  });
});
