import { JobStatus } from '@starminer/chain';
import { startAnvil, type TestChain } from './support/anvil';
import { eventsOf, expectEvent } from './support/events';
import { expectRevert } from './support/revert';
import {
  ACCOUNT,
  AGPU,
  activeProvider,
  addressOf,
  deployFixture,
  fundJob,
  signedQuote,
  type Fixture,
} from './support/fixture';

const CLIENT = 10;
const PROVIDER = 11;
const OTHER_CLIENT = 12;

describe('JobEscrow', () => {
  let chain: TestChain;
  let fx: Fixture;

  beforeAll(async () => {
    chain = await startAnvil();
    fx = await deployFixture(chain);
    await activeProvider(fx, PROVIDER);
  });
  afterAll(() => chain.stop());

  describe('fund', () => {
    it('pulls price x max GPU-seconds, records the job and emits JobFunded', async () => {
      const client = await fx.as(CLIENT);
      await (await client.providerRegistry.registerClient()).wait();
      const { quote, signature } = await signedQuote(fx, { client: addressOf(CLIENT) });
      const amount = quote.pricePerGpuSecond * quote.maxGpuSeconds;
      await (await client.agpu.approve(fx.deployments.contracts.jobEscrow, amount)).wait();
      const before = await fx.read.agpu.balanceOf(addressOf(CLIENT));

      const events = await eventsOf(
        fx.read.jobEscrow,
        client.jobEscrow.fund(quote.jobId, quote, signature),
      );

      const now = BigInt(await chain.now());
      expectEvent(events, 'JobFunded', {
        jobId: quote.jobId,
        client: addressOf(CLIENT),
        tier: quote.tier,
        amount,
        pricePerGpuSecond: quote.pricePerGpuSecond,
        maxGpuSeconds: quote.maxGpuSeconds,
        deadline: now + quote.maxDuration + 1_000n,
        nonce: quote.nonce,
      });
      expect(await fx.read.agpu.balanceOf(addressOf(CLIENT))).toBe(before - amount);
      const job = await fx.read.jobEscrow.jobOf(quote.jobId);
      expect(job.status).toBe(BigInt(JobStatus.Funded));
      expect(job.amount).toBe(amount);
      expect(job.feeBps).toBe(500n);
      expect(await fx.read.jobEscrow.totalEscrowed()).toBeGreaterThanOrEqual(amount);
      expect(await fx.read.jobEscrow.quoteNonceUsed(quote.nonce)).toBe(true);
    });

    it('funds with an EIP-2612 permit instead of an approval', async () => {
      const client = await fx.as(OTHER_CLIENT);
      await (await client.providerRegistry.registerClient()).wait();
      const { quote, signature } = await signedQuote(fx, { client: addressOf(OTHER_CLIENT) });
      const amount = quote.pricePerGpuSecond * quote.maxGpuSeconds;
      const owner = await fx.signer(OTHER_CLIENT);
      const deadline = BigInt(await chain.now()) + 600n;
      const permit = await owner.signTypedData(
        {
          name: 'StarMiner GPU',
          version: '1',
          chainId: 31337n,
          verifyingContract: fx.deployments.contracts.agpu,
        },
        {
          Permit: [
            { name: 'owner', type: 'address' },
            { name: 'spender', type: 'address' },
            { name: 'value', type: 'uint256' },
            { name: 'nonce', type: 'uint256' },
            { name: 'deadline', type: 'uint256' },
          ],
        },
        {
          owner: addressOf(OTHER_CLIENT),
          spender: fx.deployments.contracts.jobEscrow,
          value: amount,
          nonce: await fx.read.agpu.nonces(addressOf(OTHER_CLIENT)),
          deadline,
        },
      );
      const { v, r, s } = (await import('ethers')).Signature.from(permit);
      const events = await eventsOf(
        fx.read.jobEscrow,
        client.jobEscrow.fundWithPermit(quote.jobId, quote, signature, deadline, v, r, s),
      );
      expectEvent(events, 'JobFunded', { jobId: quote.jobId, amount });
    });

    it('rejects a second funding of the same job id', async () => {
      const { quote } = await fundJob(fx, CLIENT);
      const again = await signedQuote(fx, { client: addressOf(CLIENT), jobId: quote.jobId });
      const client = await fx.as(CLIENT);
      await (await client.agpu.approve(fx.deployments.contracts.jobEscrow, AGPU(1_000))).wait();
      await expectRevert(
        client.jobEscrow.fund(quote.jobId, again.quote, again.signature),
        'JobAlreadyExists',
        [quote.jobId],
      );
    });

    it('rejects a zero job id, an empty quote, and a caller who is not a registered client', async () => {
      const client = await fx.as(CLIENT);
      const zero = await signedQuote(fx, {
        client: addressOf(CLIENT),
        jobId: `0x${'0'.repeat(64)}`,
      });
      await expectRevert(
        client.jobEscrow.fund(zero.quote.jobId, zero.quote, zero.signature),
        'ZeroJobId',
      );
      const empty = await signedQuote(fx, { client: addressOf(CLIENT), maxGpuSeconds: 0n });
      await expectRevert(
        client.jobEscrow.fund(empty.quote.jobId, empty.quote, empty.signature),
        'EmptyQuote',
      );
      const stranger = await fx.as(ACCOUNT.outsider);
      const q = await signedQuote(fx, { client: addressOf(ACCOUNT.outsider) });
      await expectRevert(
        stranger.jobEscrow.fund(q.quote.jobId, q.quote, q.signature),
        'NotAClient',
        [addressOf(ACCOUNT.outsider)],
      );
    });

    it('refuses a deposit the client has not approved', async () => {
      const client = await fx.as(CLIENT);
      await (await client.agpu.approve(fx.deployments.contracts.jobEscrow, 0)).wait();
      const { quote, signature } = await signedQuote(fx, { client: addressOf(CLIENT) });
      await expectRevert(
        client.jobEscrow.fund(quote.jobId, quote, signature),
        'ERC20InsufficientAllowance',
      );
    });
  });

  describe('settle', () => {
    it('credits price x usage minus the fee to the provider, the fee to rewards, the rest to the client', async () => {
      const { quote } = await fundJob(fx, CLIENT, {
        pricePerGpuSecond: AGPU(1),
        maxGpuSeconds: 100n,
      });
      const settler = await fx.as(ACCOUNT.settler);
      const creditsBefore = await fx.read.jobEscrow.credits(addressOf(CLIENT));
      const providerBefore = await fx.read.jobEscrow.credits(addressOf(PROVIDER));
      const feesBefore = await fx.read.jobEscrow.feesAccrued();

      const events = await eventsOf(
        fx.read.jobEscrow,
        settler.jobEscrow.settle(quote.jobId, addressOf(PROVIDER), 40n),
      );

      // 40 GPU-s x 1 AGPU = 40 AGPU; 5% fee = 2 AGPU; provider 38; client gets 60 back.
      expectEvent(events, 'JobSettled', {
        jobId: quote.jobId,
        provider: addressOf(PROVIDER),
        client: addressOf(CLIENT),
        gpuSeconds: 40n,
        providerAmount: AGPU(38),
        fee: AGPU(2),
        clientRefund: AGPU(60),
      });
      expect(await fx.read.jobEscrow.credits(addressOf(PROVIDER))).toBe(providerBefore + AGPU(38));
      expect(await fx.read.jobEscrow.credits(addressOf(CLIENT))).toBe(creditsBefore + AGPU(60));
      expect(await fx.read.jobEscrow.feesAccrued()).toBe(feesBefore + AGPU(2));
      expect((await fx.read.jobEscrow.jobOf(quote.jobId)).status).toBe(BigInt(JobStatus.Settled));
    });

    it('settles a job once: a second settlement or a refund after it reverts', async () => {
      const { quote } = await fundJob(fx, CLIENT);
      const settler = await fx.as(ACCOUNT.settler);
      await (await settler.jobEscrow.settle(quote.jobId, addressOf(PROVIDER), 1n)).wait();
      await expectRevert(
        settler.jobEscrow.settle(quote.jobId, addressOf(PROVIDER), 1n),
        'JobNotOpen',
        [quote.jobId, JobStatus.Settled],
      );
      await expectRevert(settler.jobEscrow.refund(quote.jobId), 'JobNotOpen', [
        quote.jobId,
        JobStatus.Settled,
      ]);
    });

    it('rejects usage above the quote, an inactive provider and an unknown job', async () => {
      const { quote } = await fundJob(fx, CLIENT, { maxGpuSeconds: 10n });
      const settler = await fx.as(ACCOUNT.settler);
      await expectRevert(
        settler.jobEscrow.settle(quote.jobId, addressOf(PROVIDER), 11n),
        'UsageExceedsQuote',
        [11n, 10n],
      );
      await expectRevert(
        settler.jobEscrow.settle(quote.jobId, addressOf(OTHER_CLIENT), 1n),
        'ProviderNotActive',
        [addressOf(OTHER_CLIENT)],
      );
      const unknown = `0x${'ab'.repeat(32)}`;
      await expectRevert(settler.jobEscrow.settle(unknown, addressOf(PROVIDER), 1n), 'JobNotOpen', [
        unknown,
        JobStatus.None,
      ]);
    });

    it('uses the fee fixed when the job was funded, not a later one', async () => {
      const { quote } = await fundJob(fx, CLIENT, {
        pricePerGpuSecond: AGPU(1),
        maxGpuSeconds: 10n,
      });
      const admin = await fx.as(ACCOUNT.admin);
      expectEvent(
        await eventsOf(fx.read.jobEscrow, admin.jobEscrow.setFeeBps(1_000)),
        'FeeChanged',
        { feeBps: 1_000n },
      );
      const settler = await fx.as(ACCOUNT.settler);
      const events = await eventsOf(
        fx.read.jobEscrow,
        settler.jobEscrow.settle(quote.jobId, addressOf(PROVIDER), 10n),
      );
      expectEvent(events, 'JobSettled', { fee: AGPU('0.5') });
      await (await admin.jobEscrow.setFeeBps(500)).wait();
      await expectRevert(admin.jobEscrow.setFeeBps(2_001), 'FeeTooHigh', [2_001n, 2_000n]);
      await expectRevert(
        admin.jobEscrow.setSettlementGrace(30 * 86_400 + 1),
        'SettlementGraceTooLong',
      );
      expectEvent(
        await eventsOf(fx.read.jobEscrow, admin.jobEscrow.setSettlementGrace(1_000)),
        'SettlementGraceChanged',
        {
          settlementGrace: 1_000n,
        },
      );
    });
  });

  describe('refund and reclaim', () => {
    it('refunds a failed job in full', async () => {
      const { quote } = await fundJob(fx, CLIENT);
      const settler = await fx.as(ACCOUNT.settler);
      const amount = quote.pricePerGpuSecond * quote.maxGpuSeconds;
      const before = await fx.read.jobEscrow.credits(addressOf(CLIENT));
      const events = await eventsOf(fx.read.jobEscrow, settler.jobEscrow.refund(quote.jobId));
      expectEvent(events, 'JobRefunded', { jobId: quote.jobId, client: addressOf(CLIENT), amount });
      expect(await fx.read.jobEscrow.credits(addressOf(CLIENT))).toBe(before + amount);
      expect((await fx.read.jobEscrow.jobOf(quote.jobId)).status).toBe(BigInt(JobStatus.Refunded));
    });

    it('lets only the client reclaim, and only from the deadline on', async () => {
      const { quote } = await fundJob(fx, CLIENT, { maxDuration: 100n });
      const job = await fx.read.jobEscrow.jobOf(quote.jobId);
      const client = await fx.as(CLIENT);
      await expectRevert(client.jobEscrow.reclaim(quote.jobId), 'DeadlineNotReached', [
        job.deadline,
      ]);
      await chain.rpc('evm_setNextBlockTimestamp', [Number(job.deadline)]);
      const other = await fx.as(OTHER_CLIENT);
      await expectRevert(other.jobEscrow.reclaim(quote.jobId), 'NotJobClient', [
        quote.jobId,
        addressOf(OTHER_CLIENT),
      ]);
      await chain.rpc('evm_setNextBlockTimestamp', [Number(job.deadline)]);
      const events = await eventsOf(fx.read.jobEscrow, client.jobEscrow.reclaim(quote.jobId));
      expectEvent(events, 'JobReclaimed', {
        jobId: quote.jobId,
        client: addressOf(CLIENT),
        amount: job.amount,
      });
      const settler = await fx.as(ACCOUNT.settler);
      await expectRevert(
        settler.jobEscrow.settle(quote.jobId, addressOf(PROVIDER), 1n),
        'JobNotOpen',
        [quote.jobId, JobStatus.Reclaimed],
      );
      await expectRevert(client.jobEscrow.reclaim(quote.jobId), 'JobNotOpen');
    });
  });

  describe('withdraw and fees', () => {
    it('pays out credits once, to the caller or to another address', async () => {
      const client = await fx.as(CLIENT);
      const credit = await fx.read.jobEscrow.credits(addressOf(CLIENT));
      expect(credit).toBeGreaterThan(0n);
      const before = await fx.read.agpu.balanceOf(addressOf(CLIENT));
      const events = await eventsOf(fx.read.jobEscrow, client.jobEscrow.withdraw());
      expectEvent(events, 'Withdrawn', {
        account: addressOf(CLIENT),
        to: addressOf(CLIENT),
        amount: credit,
      });
      expect(await fx.read.agpu.balanceOf(addressOf(CLIENT))).toBe(before + credit);
      await expectRevert(client.jobEscrow.withdraw(), 'NothingToWithdraw', [addressOf(CLIENT)]);

      const provider = await fx.as(PROVIDER);
      const owed = await fx.read.jobEscrow.credits(addressOf(PROVIDER));
      const to = addressOf(ACCOUNT.outsider);
      const toBefore = await fx.read.agpu.balanceOf(to);
      await expectRevert(
        provider.jobEscrow.withdrawTo('0x0000000000000000000000000000000000000000'),
        'ZeroAddress',
      );
      expectEvent(
        await eventsOf(fx.read.jobEscrow, provider.jobEscrow.withdrawTo(to)),
        'Withdrawn',
        { account: addressOf(PROVIDER), to, amount: owed },
      );
      expect(await fx.read.agpu.balanceOf(to)).toBe(toBefore + owed);
    });

    it('sweeps accrued fees into the RewardDistributor', async () => {
      const fees = await fx.read.jobEscrow.feesAccrued();
      expect(fees).toBeGreaterThan(0n);
      const anyone = await fx.as(ACCOUNT.outsider);
      const receipt = await (await anyone.jobEscrow.sweepFees()).wait();
      const swept = receipt?.logs
        .map((l) => fx.read.jobEscrow.interface.parseLog(l))
        .find((e) => e?.name === 'FeesSwept');
      expect(swept?.args.amount).toBe(fees);
      const deposited = receipt?.logs
        .map((l) => fx.read.rewardDistributor.interface.parseLog(l))
        .find((e) => e?.name === 'RewardsDeposited');
      expect(deposited?.args.from).toBe(fx.deployments.contracts.jobEscrow);
      expect(deposited?.args.amount).toBe(fees);
      expect(await fx.read.rewardDistributor.available()).toBe(fees);
      await expectRevert(anyone.jobEscrow.sweepFees(), 'NoFeesToSweep');
    });

    it('holds exactly the open escrows, the unwithdrawn credits and the fees', async () => {
      const e = fx.read.jobEscrow;
      const [balance, escrowed, credits, fees] = await Promise.all([
        fx.read.agpu.balanceOf(fx.deployments.contracts.jobEscrow),
        e.totalEscrowed(),
        e.totalCredits(),
        e.feesAccrued(),
      ]);
      expect(balance).toBe(escrowed + credits + fees);
    });
  });
});
