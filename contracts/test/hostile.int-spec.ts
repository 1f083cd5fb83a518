// Hostile tokens and payees: a token that lets payees reenter, a token that takes a fee on transfer,
// and a payee that reverts. None may break the money invariants or block anybody else.
import {
  type BaseContract,
  type Contract,
  ContractFactory,
  Interface,
  type JsonRpcSigner,
  id,
} from 'ethers';
import {
  JobEscrow__factory,
  ProviderRegistry__factory,
  RewardDistributor__factory,
  RewardTree,
  Roles,
  Staking__factory,
  devWallet,
  quoteDomain,
  signQuote,
  toBytes32,
  type JobEscrow,
  type ProviderRegistry,
  type RewardDistributor,
  type Staking,
} from '@starminer/chain';
import { compile } from '../scripts/compile';
import { startAnvil, type TestChain } from './support/anvil';
import { expectRevert } from './support/revert';
import { ACCOUNT, AGPU, addressOf } from './support/fixture';

const artifacts = compile(['test/solidity/HostileTokens.sol', 'test/solidity/HostilePayee.sol']);
function artifact(name: string): { abi: Interface; bytecode: string } {
  const a = artifacts.find((x) => x.contractName === name);
  if (!a) throw new Error(`no artifact ${name}`);
  return { abi: new Interface(a.abi as never), bytecode: a.bytecode };
}
const HOOK = artifact('HookToken');
const FEE = artifact('FeeOnTransferToken');
const PAYEE = artifact('HostilePayee');
const MODE = { Accept: 0, Revert: 1, Reenter: 2 };
const reentrancySelector = id('ReentrancyGuardReentrantCall()').slice(0, 10);

interface World {
  token: Contract;
  registry: ProviderRegistry;
  staking: Staking;
  rewards: RewardDistributor;
  escrow: JobEscrow;
}

async function deploy(
  chain: TestChain,
  tokenArtifact: { abi: Interface; bytecode: string },
): Promise<World> {
  const admin = await chain.provider.getSigner(addressOf(ACCOUNT.admin));
  const token = (await (
    await new ContractFactory(tokenArtifact.abi, tokenArtifact.bytecode, admin).deploy()
  ).waitForDeployment()) as Contract;
  const registry = await (await new ProviderRegistry__factory(admin).deploy()).waitForDeployment();
  const rewards = await (
    await new RewardDistributor__factory(admin).deploy(token, admin, 86_400)
  ).waitForDeployment();
  const staking = await (
    await new Staking__factory(admin).deploy(
      token,
      registry,
      admin,
      addressOf(ACCOUNT.treasury),
      AGPU(100),
      1_000,
    )
  ).waitForDeployment();
  const escrow = await (
    await new JobEscrow__factory(admin).deploy(token, staking, rewards, admin, 500, 1_000)
  ).waitForDeployment();
  await (await escrow.grantRole(Roles.SETTLER, addressOf(ACCOUNT.settler))).wait();
  await (await escrow.grantRole(Roles.QUOTE_SIGNER, addressOf(ACCOUNT.quoteSigner))).wait();
  await (await staking.grantRole(Roles.SLASHER, addressOf(ACCOUNT.slasher))).wait();
  await (await rewards.grantRole(Roles.VALIDATOR, addressOf(ACCOUNT.validator))).wait();
  return { token, registry, staking, rewards, escrow };
}

async function newPayee(chain: TestChain, w: World): Promise<Contract> {
  const admin = await chain.provider.getSigner(addressOf(ACCOUNT.admin));
  const payee = (await (
    await new ContractFactory(PAYEE.abi, PAYEE.bytecode, admin).deploy()
  ).waitForDeployment()) as Contract;
  await (await w.token.getFunction('mint')(await payee.getAddress(), AGPU(10_000))).wait();
  return payee;
}

/** Has `payee` call `target.fn(...args)` as msg.sender. */
async function act(
  payee: Contract,
  target: BaseContract,
  fn: string,
  args: unknown[],
): Promise<void> {
  const data = target.interface.encodeFunctionData(fn, args);
  await (await payee.getFunction('execute')(await target.getAddress(), data)).wait();
}

async function payeeFunds(
  chain: TestChain,
  w: World,
  payee: Contract,
  maxGpuSeconds = 100n,
): Promise<string> {
  const client = await payee.getAddress();
  const jobId = id(`job-${client}-${Date.now()}-${Math.random()}`);
  const quote = {
    jobId,
    client,
    pricePerGpuSecond: AGPU(1),
    maxGpuSeconds,
    tier: toBytes32('t'),
    maxDuration: 0n,
    expiry: BigInt(await chain.now()) + 600n,
    nonce: BigInt(jobId),
  };
  const signature = await signQuote(
    devWallet(ACCOUNT.quoteSigner),
    quoteDomain(31337, await w.escrow.getAddress()),
    quote,
  );
  await act(payee, w.token, 'approve', [
    await w.escrow.getAddress(),
    AGPU(maxGpuSeconds.toString()),
  ]);
  await act(payee, w.escrow, 'fund', [jobId, quote, signature]);
  return jobId;
}

async function expectEscrowBalanced(w: World): Promise<void> {
  const balance = (await w.token.getFunction('balanceOf')(await w.escrow.getAddress())) as bigint;
  expect(balance).toBe(
    (await w.escrow.totalEscrowed()) +
      (await w.escrow.totalCredits()) +
      (await w.escrow.feesAccrued()),
  );
}

async function expectStakingBalanced(w: World): Promise<void> {
  const balance = (await w.token.getFunction('balanceOf')(await w.staking.getAddress())) as bigint;
  expect(balance).toBe((await w.staking.totalBonded()) + (await w.staking.totalUnbonding()));
}

describe('hostile tokens and payees', () => {
  let chain: TestChain;
  let settler: JsonRpcSigner;

  beforeAll(async () => {
    chain = await startAnvil();
    settler = await chain.provider.getSigner(addressOf(ACCOUNT.settler));
  });
  afterAll(() => chain.stop());

  describe('a token that lets payees reenter', () => {
    let w: World;
    let payee: Contract;
    let payeeAddress: string;

    beforeAll(async () => {
      w = await deploy(chain, HOOK);
      payee = await newPayee(chain, w);
      payeeAddress = await payee.getAddress();
      await act(payee, w.registry, 'registerClient', []);
      await act(payee, w.registry, 'registerProvider', ['ipfs://payee', [toBytes32('eu-west')]]);
      await act(payee, w.token, 'approve', [await w.staking.getAddress(), AGPU(1_000)]);
      await act(payee, w.staking, 'stake', [AGPU(200)]);
      await (await w.token.getFunction('setHooked')(payeeAddress, true)).wait();
    });

    it('cannot withdraw an escrow credit twice by reentering withdraw', async () => {
      const jobId = await payeeFunds(chain, w, payee);
      await (await w.escrow.connect(settler).settle(jobId, payeeAddress, 50n)).wait();
      // 50 GPU-s at 1 AGPU: 47.5 earned as provider (5% fee) + 50 refunded as client.
      const credit = await w.escrow.credits(payeeAddress);
      expect(credit).toBe(AGPU('97.5'));
      await (
        await payee.getFunction('setMode')(
          MODE.Reenter,
          await w.escrow.getAddress(),
          w.escrow.interface.encodeFunctionData('withdraw'),
        )
      ).wait();
      const before = (await w.token.getFunction('balanceOf')(payeeAddress)) as bigint;
      await act(payee, w.escrow, 'withdraw', []);
      expect(await payee.getFunction('reentryAttempted')()).toBe(true);
      expect(await payee.getFunction('reentrySucceeded')()).toBe(false);
      expect(((await payee.getFunction('reentryError')()) as string).slice(0, 10)).toBe(
        reentrancySelector,
      );
      expect(await w.token.getFunction('balanceOf')(payeeAddress)).toBe(before + credit);
      expect(await w.escrow.credits(payeeAddress)).toBe(0n);
      await expectEscrowBalanced(w);
    });

    it('cannot reenter the escrow while funding', async () => {
      await (
        await payee.getFunction('setMode')(
          MODE.Reenter,
          await w.escrow.getAddress(),
          w.escrow.interface.encodeFunctionData('sweepFees'),
        )
      ).wait();
      await payeeFunds(chain, w, payee);
      expect(await payee.getFunction('reentrySucceeded')()).toBe(false);
      expect(((await payee.getFunction('reentryError')()) as string).slice(0, 10)).toBe(
        reentrancySelector,
      );
      await expectEscrowBalanced(w);
    });

    it('cannot withdraw unbonded stake twice by reentering Staking', async () => {
      await (await payee.getFunction('setMode')(MODE.Accept, payeeAddress, '0x')).wait();
      await act(payee, w.staking, 'unbond', [AGPU(50)]);
      await chain.increaseTime(1_000);
      await (
        await payee.getFunction('setMode')(
          MODE.Reenter,
          await w.staking.getAddress(),
          w.staking.interface.encodeFunctionData('withdraw'),
        )
      ).wait();
      const before = (await w.token.getFunction('balanceOf')(payeeAddress)) as bigint;
      await act(payee, w.staking, 'withdraw', []);
      expect(await payee.getFunction('reentrySucceeded')()).toBe(false);
      expect(await w.token.getFunction('balanceOf')(payeeAddress)).toBe(before + AGPU(50));
      await expectStakingBalanced(w);
    });

    it('a payee that reverts on receipt blocks only itself', async () => {
      // Another client and the reverting payee (as provider) share a job.
      const client = await chain.provider.getSigner(addressOf(12));
      await (await w.token.getFunction('mint')(addressOf(12), AGPU(1_000))).wait();
      await (await w.registry.connect(client).registerClient()).wait();
      const jobId = id('shared-job');
      const quote = {
        jobId,
        client: addressOf(12),
        pricePerGpuSecond: AGPU(1),
        maxGpuSeconds: 10n,
        tier: toBytes32('t'),
        maxDuration: 0n,
        expiry: BigInt(await chain.now()) + 600n,
        nonce: 7n,
      };
      const signature = await signQuote(
        devWallet(ACCOUNT.quoteSigner),
        quoteDomain(31337, await w.escrow.getAddress()),
        quote,
      );
      await (
        await (w.token.connect(client) as Contract).getFunction('approve')(
          await w.escrow.getAddress(),
          AGPU(10),
        )
      ).wait();
      await (await w.escrow.connect(client).fund(jobId, quote, signature)).wait();

      await (await payee.getFunction('setMode')(MODE.Revert, payeeAddress, '0x')).wait();
      // Settlement only credits, so the hostile payee cannot block it.
      await (await w.escrow.connect(settler).settle(jobId, payeeAddress, 4n)).wait();
      const payeeExecute = payee.getFunction('execute');
      await expect(
        payeeExecute.staticCall(
          await w.escrow.getAddress(),
          w.escrow.interface.encodeFunctionData('withdraw'),
        ),
      ).rejects.toMatchObject({
        data: PAYEE.abi.getError('PayeeRefuses')?.selector,
      });
      // The client is paid regardless.
      const before = (await w.token.getFunction('balanceOf')(addressOf(12))) as bigint;
      await (await w.escrow.connect(client).withdraw()).wait();
      expect(await w.token.getFunction('balanceOf')(addressOf(12))).toBe(before + AGPU(6));
      // The payee can still take its credit to another address.
      const owed = await w.escrow.credits(payeeAddress);
      await act(payee, w.escrow, 'withdrawTo', [addressOf(13)]);
      expect(await w.token.getFunction('balanceOf')(addressOf(13))).toBe(owed);
      await expectEscrowBalanced(w);
    });

    it('a payee that reverts cannot block other reward claims', async () => {
      const funder = await chain.provider.getSigner(addressOf(ACCOUNT.admin));
      await (await w.token.getFunction('mint')(addressOf(ACCOUNT.admin), AGPU(30))).wait();
      await (
        await (w.token.connect(funder) as Contract).getFunction('approve')(
          await w.rewards.getAddress(),
          AGPU(30),
        )
      ).wait();
      await (await w.rewards.connect(funder).depositRewards(AGPU(30))).wait();
      const tree = RewardTree.build(1n, [
        { account: payeeAddress, amount: AGPU(10) },
        { account: addressOf(14), amount: AGPU(20) },
      ]);
      const validator = await chain.provider.getSigner(addressOf(ACCOUNT.validator));
      await (await w.rewards.connect(validator).postEpoch(1, tree.root, tree.total)).wait();
      const mine = tree.claimFor(payeeAddress);
      const theirs = tree.claimFor(addressOf(14));
      if (!mine || !theirs) throw new Error('no claims');
      await expect(
        w.rewards.claim.staticCall(1, mine.account, mine.amount, mine.proof),
      ).rejects.toBeDefined();
      await (
        await w.rewards.connect(validator).claim(1, theirs.account, theirs.amount, theirs.proof)
      ).wait();
      expect(await w.token.getFunction('balanceOf')(addressOf(14))).toBe(AGPU(20));
      expect(await w.rewards.reserved()).toBe(AGPU(10));
    });
  });

  describe('a token that takes a fee on transfer', () => {
    let w: World;

    beforeAll(async () => {
      w = await deploy(chain, FEE);
      for (const i of [10, 11])
        await (await w.token.getFunction('mint')(addressOf(i), AGPU(10_000))).wait();
    });

    it('is refused by the escrow, which must hold exactly what it owes', async () => {
      const client = await chain.provider.getSigner(addressOf(10));
      await (await w.registry.connect(client).registerClient()).wait();
      const quote = {
        jobId: id('fee-job'),
        client: addressOf(10),
        pricePerGpuSecond: AGPU(1),
        maxGpuSeconds: 100n,
        tier: toBytes32('t'),
        maxDuration: 0n,
        expiry: BigInt(await chain.now()) + 600n,
        nonce: 1n,
      };
      const signature = await signQuote(
        devWallet(ACCOUNT.quoteSigner),
        quoteDomain(31337, await w.escrow.getAddress()),
        quote,
      );
      await (
        await (w.token.connect(client) as Contract).getFunction('approve')(
          await w.escrow.getAddress(),
          AGPU(100),
        )
      ).wait();
      await expectRevert(
        w.escrow.connect(client).fund(quote.jobId, quote, signature),
        'TransferShortfall',
        [AGPU(100), AGPU(99)],
      );
      await expectEscrowBalanced(w);
    });

    it('is staked at the amount that arrived, and withdrawn in full', async () => {
      const provider = await chain.provider.getSigner(addressOf(11));
      await (
        await w.registry.connect(provider).registerProvider('ipfs://p', [toBytes32('eu-west')])
      ).wait();
      await (
        await (w.token.connect(provider) as Contract).getFunction('approve')(
          await w.staking.getAddress(),
          AGPU(200),
        )
      ).wait();
      const receipt = await (await w.staking.connect(provider).stake(AGPU(200))).wait();
      const staked = receipt?.logs
        .map((l) => w.staking.interface.parseLog(l))
        .find((e) => e?.name === 'Staked');
      expect(staked?.args.amount).toBe(AGPU(198));
      await expectStakingBalanced(w);
      await (await w.staking.connect(provider).unbond(AGPU(198))).wait();
      await chain.increaseTime(1_000);
      await (await w.staking.connect(provider).withdraw()).wait();
      expect(await w.token.getFunction('balanceOf')(await w.staking.getAddress())).toBe(0n);
      await expectStakingBalanced(w);
    });

    it('is recorded by the RewardDistributor at the amount that arrived', async () => {
      const funder = await chain.provider.getSigner(addressOf(10));
      await (
        await (w.token.connect(funder) as Contract).getFunction('approve')(
          await w.rewards.getAddress(),
          AGPU(100),
        )
      ).wait();
      const receipt = await (await w.rewards.connect(funder).depositRewards(AGPU(100))).wait();
      const deposited = receipt?.logs
        .map((l) => w.rewards.interface.parseLog(l))
        .find((e) => e?.name === 'RewardsDeposited');
      expect(deposited?.args.amount).toBe(AGPU(99));
      expect(await w.rewards.available()).toBe(AGPU(99));
    });
  });
});
