// Property tests: random sequences of fund, settle, refund, reclaim, withdraw, sweep, stake, unbond,
// withdraw stake, slash and clock moves, run against the contracts and a reference model at once.
// After every step: the call succeeded exactly when the model says it must; the escrow holds exactly
// the open escrows plus unwithdrawn credits plus fees; no job settles twice; per provider
// slashed + withdrawn <= staked; and every account holds exactly what it is owed, never more.
import fc from 'fast-check';
import { Interface, id, toBeHex } from 'ethers';
import {
  JobEscrow__factory,
  Staking__factory,
  AGPU__factory,
  devWallet,
  signQuote,
  toBytes32,
} from '@starminer/chain';
import { startAnvil, type TestChain } from './support/anvil';
import { ACCOUNT, AGPU, addressOf, deployFixture, type Fixture } from './support/fixture';
import { MoneyModel, type Action } from './support/money-model';

const RUNS = 200;
const DEPTH = 30;
const CLIENTS = [10, 11, 12].map(addressOf);
const PROVIDERS = [13, 14, 15].map(addressOf);
const SETTLER = addressOf(ACCOUNT.settler);
const SLASHER = addressOf(ACCOUNT.slasher);
const TREASURY = addressOf(ACCOUNT.treasury);
const UNIT = 10n ** 15n; // prices and stakes in thousandths of an AGPU keep the numbers varied but readable
const escrowAbi = new Interface(JobEscrow__factory.abi);
const stakingAbi = new Interface(Staking__factory.abi);
const tokenAbi = new Interface(AGPU__factory.abi);
const quoteSigner = devWallet(ACCOUNT.quoteSigner);
const INITIAL_STAKE = AGPU(150);

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('fund' as const),
      client: fc.nat(2),
      price: fc.bigInt(1n, 1_000n),
      maxGpuSeconds: fc.bigInt(1n, 1_000n),
      maxDuration: fc.bigInt(0n, 2_000n),
      // mostly fresh job ids; sometimes an existing one, which must be refused
      reuseJob: fc.oneof(
        { weight: 6, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.nat(20) },
      ),
      expired: fc.nat(9).map((n) => n === 0),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      job: fc.nat(20),
      provider: fc.nat(2),
      usagePercent: fc.nat(120),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), job: fc.nat(20) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('reclaim' as const),
      job: fc.nat(20),
      byOtherClient: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('withdrawCredit' as const), actor: fc.nat(5) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweepFees' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('stake' as const),
      provider: fc.nat(2),
      amount: fc.bigInt(0n, 150_000n),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('unbond' as const),
      provider: fc.nat(2),
      amount: fc.bigInt(0n, 120_000n),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('withdrawStake' as const), provider: fc.nat(2) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('slash' as const),
      provider: fc.nat(2),
      amount: fc.bigInt(0n, 120_000n),
      reuseEvidence: fc.boolean(),
    }),
  },
  {
    weight: 3,
    // long enough to pass unbonding delays and reclaim deadlines (1000 s + maxDuration) in a few moves
    arbitrary: fc.record({
      kind: fc.constant('advanceTime' as const),
      seconds: fc.integer({ min: 1, max: 2_500 }),
    }),
  },
);

describe('money invariants over random action sequences', () => {
  let chain: TestChain;
  let fx: Fixture;
  let snapshot: string;
  let baseTime: bigint;
  let initial: Map<string, bigint>;
  let runCounter = 0;

  beforeAll(async () => {
    chain = await startAnvil();
    fx = await deployFixture(chain);
    const c = fx.deployments.contracts;
    for (const [i, a] of CLIENTS.entries()) {
      const k = await fx.as(10 + i);
      await (await k.providerRegistry.registerClient()).wait();
      await (await k.agpu.approve(c.jobEscrow, 2n ** 255n)).wait();
      expect(a).toBe(addressOf(10 + i));
    }
    for (const [i] of PROVIDERS.entries()) {
      const k = await fx.as(13 + i);
      await (await k.providerRegistry.registerProvider('ipfs://p', [toBytes32('eu-west')])).wait();
      await (await k.agpu.approve(c.staking, 2n ** 255n)).wait();
      // Two providers start active, so settlements succeed from the first step on.
      if (i < 2) await (await k.staking.stake(INITIAL_STAKE)).wait();
    }
    initial = new Map();
    for (const a of [
      ...CLIENTS,
      ...PROVIDERS,
      TREASURY,
      c.jobEscrow,
      c.staking,
      c.rewardDistributor,
    ]) {
      initial.set(a, await fx.read.agpu.balanceOf(a));
    }
    baseTime = BigInt(await chain.now());
    snapshot = await chain.snapshot();
  });
  afterAll(() => chain.stop());

  /** Sends one transaction at exactly `time` and reports whether it succeeded. */
  async function send(time: bigint, from: string, to: string, data: string): Promise<boolean> {
    await chain.rpc('evm_setNextBlockTimestamp', [toBeHex(time)]);
    // The gas limit varies per run so that a transaction never repeats the hash of one mined in a
    // reverted run (anvil would treat it as known and not mine it again).
    // anvil refuses timestamps below any it has mined, reverted blocks included: later runs start later.
    if (time >= baseTime) baseTime = time + 1n;
    const hash = await chain.rpc<string>('eth_sendTransaction', [
      { from, to, data, gas: toBeHex(1_000_000 + runCounter) },
    ]);
    // anvil mines right after accepting the transaction, but the receipt may trail the reply.
    for (let attempt = 0; attempt < 200; attempt++) {
      const receipt = await chain.rpc<{ status: string } | null>('eth_getTransactionReceipt', [
        hash,
      ]);
      if (receipt) return receipt.status === '0x1';
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`transaction ${hash} was not mined`);
  }

  async function checkInvariants(model: MoneyModel): Promise<void> {
    const c = fx.deployments.contracts;
    const accounts = [
      ...CLIENTS,
      ...PROVIDERS,
      TREASURY,
      c.jobEscrow,
      c.staking,
      c.rewardDistributor,
    ];
    const calls = [
      ...accounts.map((a) => ({ to: c.agpu, data: tokenAbi.encodeFunctionData('balanceOf', [a]) })),
      { to: c.jobEscrow, data: escrowAbi.encodeFunctionData('totalEscrowed') },
      { to: c.jobEscrow, data: escrowAbi.encodeFunctionData('totalCredits') },
      { to: c.jobEscrow, data: escrowAbi.encodeFunctionData('feesAccrued') },
      { to: c.staking, data: stakingAbi.encodeFunctionData('totalBonded') },
      { to: c.staking, data: stakingAbi.encodeFunctionData('totalUnbonding') },
    ];
    const results = (
      await chain.batch<string>(
        calls.map((call) => ({ method: 'eth_call', params: [call, 'latest'] })),
      )
    ).map((h) => BigInt(h));
    const balance = new Map(accounts.map((a, i) => [a, results[i] as bigint]));
    const [escrowed, credits, fees, bonded, unbonding] = results.slice(accounts.length);

    // The escrow holds exactly the open escrows, the unwithdrawn credits and the fees, by the
    // model's independent count and by the contract's own counters.
    expect(balance.get(c.jobEscrow)).toBe(model.escrowed() + model.totalCredits() + model.fees);
    expect([escrowed, credits, fees]).toEqual([model.escrowed(), model.totalCredits(), model.fees]);
    // Staking holds exactly the stake that was neither slashed nor withdrawn.
    let held = 0n;
    for (const p of PROVIDERS) {
      const s = model.stakeOf(p);
      expect(s.slashed + s.withdrawn).toBeLessThanOrEqual(s.staked);
      held += s.staked - s.slashed - s.withdrawn;
    }
    expect(balance.get(c.staking)).toBe(held);
    expect((bonded as bigint) + (unbonding as bigint)).toBe(held);
    // Nobody holds more than they are owed: every balance is exactly what the model computed.
    for (const a of accounts)
      expect({ account: a, balance: balance.get(a) }).toEqual({
        account: a,
        balance: model.balances.get(a),
      });
  }

  async function step(model: MoneyModel, a: Action, run: number): Promise<void> {
    const c = fx.deployments.contracts;
    const pick = <T>(list: T[], i: number): T => list[i % list.length] as T;
    let expected: boolean;
    let ok: boolean;
    model.now += 1n;
    const now = model.now;
    switch (a.kind) {
      case 'advanceTime':
        model.now += BigInt(a.seconds) - 1n; // no transaction: the next one lands this much later
        return;
      case 'fund': {
        const client = pick(CLIENTS, a.client);
        const reused =
          a.reuseJob !== null && model.jobs.length > 0 ? pick(model.jobs, a.reuseJob) : undefined;
        const jobId = reused?.jobId ?? id(`run-${run}-job-${model.jobs.length}-${now}`);
        const quote = {
          jobId,
          client,
          pricePerGpuSecond: a.price * UNIT,
          maxGpuSeconds: a.maxGpuSeconds,
          tier: toBytes32('tier'),
          maxDuration: a.maxDuration,
          expiry: a.expired ? now - 1n : now + 10n,
          nonce: BigInt(id(`nonce-${run}-${model.jobs.length}-${now}`)),
        };
        const signature = await signQuote(quoteSigner, fx.domain, quote);
        const amount = quote.pricePerGpuSecond * quote.maxGpuSeconds;
        expected = model.fund(
          client,
          c.jobEscrow,
          {
            jobId,
            client,
            amount,
            price: quote.pricePerGpuSecond,
            maxGpuSeconds: quote.maxGpuSeconds,
            deadline: now + a.maxDuration + model.grace,
            state: 'funded',
          },
          quote.expiry,
          reused !== undefined,
        );
        ok = await send(
          now,
          client,
          c.jobEscrow,
          escrowAbi.encodeFunctionData('fund', [jobId, quote, signature]),
        );
        break;
      }
      case 'settle': {
        const job = model.jobs.length > 0 ? pick(model.jobs, a.job) : undefined;
        const provider = pick(PROVIDERS, a.provider);
        const usage = job ? (job.maxGpuSeconds * BigInt(a.usagePercent)) / 100n : 1n;
        const wasSettled = job ? model.settledJobIds.has(job.jobId) : false;
        expected = model.settle(job, provider, usage);
        if (expected) expect(wasSettled).toBe(false); // no job settles twice
        ok = await send(
          now,
          SETTLER,
          c.jobEscrow,
          escrowAbi.encodeFunctionData('settle', [job?.jobId ?? id('none'), provider, usage]),
        );
        break;
      }
      case 'refund': {
        const job = model.jobs.length > 0 ? pick(model.jobs, a.job) : undefined;
        expected = model.refund(job);
        ok = await send(
          now,
          SETTLER,
          c.jobEscrow,
          escrowAbi.encodeFunctionData('refund', [job?.jobId ?? id('none')]),
        );
        break;
      }
      case 'reclaim': {
        const job = model.jobs.length > 0 ? pick(model.jobs, a.job) : undefined;
        const caller =
          job && !a.byOtherClient
            ? job.client
            : pick(CLIENTS, CLIENTS.indexOf(job?.client ?? (CLIENTS[0] as string)) + 1);
        expected = model.reclaim(job, caller);
        ok = await send(
          now,
          caller,
          c.jobEscrow,
          escrowAbi.encodeFunctionData('reclaim', [job?.jobId ?? id('none')]),
        );
        break;
      }
      case 'withdrawCredit': {
        const actor = pick([...CLIENTS, ...PROVIDERS], a.actor);
        expected = model.withdrawCredit(actor, c.jobEscrow);
        ok = await send(now, actor, c.jobEscrow, escrowAbi.encodeFunctionData('withdraw'));
        break;
      }
      case 'sweepFees':
        expected = model.sweepFees(c.jobEscrow, c.rewardDistributor);
        ok = await send(
          now,
          pick(CLIENTS, run),
          c.jobEscrow,
          escrowAbi.encodeFunctionData('sweepFees'),
        );
        break;
      case 'stake': {
        const p = pick(PROVIDERS, a.provider);
        expected = model.stake(p, c.staking, a.amount * UNIT);
        ok = await send(
          now,
          p,
          c.staking,
          stakingAbi.encodeFunctionData('stake', [a.amount * UNIT]),
        );
        break;
      }
      case 'unbond': {
        const p = pick(PROVIDERS, a.provider);
        expected = model.unbond(p, a.amount * UNIT);
        ok = await send(
          now,
          p,
          c.staking,
          stakingAbi.encodeFunctionData('unbond', [a.amount * UNIT]),
        );
        break;
      }
      case 'withdrawStake': {
        const p = pick(PROVIDERS, a.provider);
        expected = model.withdrawStake(p, c.staking);
        ok = await send(now, p, c.staking, stakingAbi.encodeFunctionData('withdraw'));
        break;
      }
      case 'slash': {
        const p = pick(PROVIDERS, a.provider);
        const evidence =
          a.reuseEvidence && model.usedEvidence.length > 0
            ? (model.usedEvidence[0] as string)
            : id(`evidence-${run}-${now}`);
        expected = model.slash(p, c.staking, a.amount * UNIT, evidence);
        ok = await send(
          now,
          SLASHER,
          c.staking,
          stakingAbi.encodeFunctionData('slash', [p, a.amount * UNIT, evidence]),
        );
        break;
      }
    }
    expect({ action: a, succeeded: ok }).toEqual({ action: a, succeeded: expected });
    await checkInvariants(model);
  }

  it(`hold for ${RUNS} sequences of ${DEPTH} actions`, async () => {
    const params = fx.deployments.parameters;
    await fc.assert(
      fc.asyncProperty(
        fc.array(actionArb, { minLength: DEPTH, maxLength: DEPTH }),
        async (actions) => {
          await chain.revert(snapshot);
          snapshot = await chain.snapshot();
          const run = ++runCounter;
          const model = new MoneyModel(
            baseTime,
            BigInt(params.feeBps),
            BigInt(params.settlementGraceSeconds),
            BigInt(params.minStake),
            BigInt(params.unbondingDelaySeconds),
            TREASURY,
            initial,
          );
          for (const p of PROVIDERS.slice(0, 2)) {
            const st = model.stakeOf(p);
            st.bonded = INITIAL_STAKE;
            st.staked = INITIAL_STAKE;
          }
          for (const action of actions) await step(model, action, run);
        },
      ),
      { numRuns: RUNS },
    );
  }, 900_000);
});
