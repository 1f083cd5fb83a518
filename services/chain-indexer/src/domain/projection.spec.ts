import { type ChainEventData, type DecodedLog } from './chain-events';
import { encodeCheckpoint } from './checkpoint';
import {
  escrowKey,
  isActiveProvider,
  participantKey,
  project,
  rebuild,
  stakeKey,
  type AggregateState,
  type ParticipantState,
  type StakeState,
} from './projection';

const ESCROW = '0x00000000000000000000000000000000000000e5';
const REWARDS = '0x00000000000000000000000000000000000000d1';
const CLIENT = '0x00000000000000000000000000000000000000c1';
const PROVIDER = '0x00000000000000000000000000000000000000b1';
const JOB = '0x' + '0'.repeat(62) + '01';
const ctx = { jobEscrow: ESCROW, rewardDistributor: REWARDS };

let seq = 0;
function log(
  event: ChainEventData,
  block: number,
  tx = 0,
  txHash = `0xt${block}-${tx}`,
): DecodedLog {
  const logIndex = seq++;
  return {
    meta: {
      checkpoint: encodeCheckpoint({
        chainId: 31337,
        blockNumber: block,
        transactionIndex: tx,
        logIndex,
      }),
      chainId: 31337,
      blockNumber: block,
      blockHash: `0xb${block}`,
      blockTimestamp: 1_700_000_000 + block,
      transactionHash: txHash,
      transactionIndex: tx,
      logIndex,
      address: ESCROW,
    },
    event,
  };
}

const funded = (block: number) =>
  log(
    {
      name: 'JobFunded',
      jobId: JOB,
      client: CLIENT,
      tier: '0x' + '0'.repeat(64),
      amount: 1000n,
      pricePerGpuSecond: 1n,
      maxGpuSeconds: 1000n,
      deadline: 99n,
      nonce: 7n,
    },
    block,
  );
const deposit = (block: number) =>
  log({ name: 'Transfer', from: CLIENT, to: ESCROW, value: 1000n }, block, 0, `0xt${block}-0`);
const settled = (block: number) =>
  log(
    {
      name: 'JobSettled',
      jobId: JOB,
      provider: PROVIDER,
      client: CLIENT,
      gpuSeconds: 400n,
      providerAmount: 380n,
      fee: 20n,
      clientRefund: 600n,
    },
    block,
  );

describe('the escrow projection', () => {
  it('given a funding and its deposit, mirrors a funded escrow and a deposit flow tagged with the job', () => {
    const p = project(new Map([[escrowKey(JOB), undefined]]), [funded(1), deposit(1)], ctx);
    expect(p.states.get(escrowKey(JOB))).toMatchObject({
      status: 'funded',
      amount: 1000n,
      client: CLIENT,
    });
    expect(p.flows).toEqual([
      expect.objectContaining({
        kind: 'transfer',
        from: CLIENT,
        to: ESCROW,
        amount: 1000n,
        jobId: JOB,
      }),
    ]);
  });

  it('when settled, splits the deposit into payout, refund and fee flows', () => {
    const first = project(new Map([[escrowKey(JOB), undefined]]), [funded(1)], ctx);
    const p = project(first.states, [settled(2)], ctx);
    expect(p.states.get(escrowKey(JOB))).toMatchObject({
      status: 'settled',
      provider: PROVIDER,
      gpuSeconds: 400n,
      providerPayout: 380n,
      clientRefund: 600n,
      fee: 20n,
      blockNumber: 2,
    });
    expect(p.flows.map((f) => [f.flowIndex, f.kind, f.to, f.amount])).toEqual([
      [0, 'escrow_credit', PROVIDER, 380n],
      [1, 'escrow_credit', CLIENT, 600n],
      [2, 'protocol_fee', REWARDS, 20n],
    ]);
  });

  it('reverts by refolding what is left below the common ancestor', () => {
    const logs = [funded(1), settled(5)];
    expect(rebuild(logs)).toMatchObject({ status: 'settled' });
    const kept = logs.filter((l) => l.meta.blockNumber <= 3);
    expect(rebuild(kept)).toMatchObject({ status: 'funded', blockNumber: 1 });
    expect(rebuild([])).toBeUndefined();
  });
});

describe('the stake and participant projections', () => {
  const P = PROVIDER;
  const history: DecodedLog[] = [
    log(
      {
        name: 'Registered',
        account: P,
        kind: 'provider',
        metadataUri: 'ipfs://p',
        regions: ['eu-west'],
      },
      1,
    ),
    log({ name: 'Staked', provider: P, amount: 500n, bonded: 500n }, 2),
    log({ name: 'UnbondStarted', provider: P, amount: 200n, unbonding: 200n, readyAt: 1000n }, 3),
    log(
      {
        name: 'Slashed',
        provider: P,
        evidenceHash: '0x' + 'ee'.repeat(32),
        amount: 350n,
        fromBonded: 300n,
        fromUnbonding: 50n,
        recipient: REWARDS,
      },
      4,
    ),
    log({ name: 'StakeWithdrawn', provider: P, amount: 150n }, 5),
    log(
      { name: 'Registered', account: P, kind: 'validator', metadataUri: 'ipfs://v', regions: [] },
      6,
    ),
  ];

  it('follows bonding, unbonding, slashing and withdrawal', () => {
    const p = project(new Map(), history, ctx);
    expect(p.states.get(stakeKey(P))).toMatchObject({
      bonded: 0n,
      unbonding: 0n,
      slashed: 350n,
      withdrawn: 150n,
      unbondReadyAt: 0n,
    });
    expect(p.unbondings).toEqual([
      expect.objectContaining({ provider: P, amount: 200n, bucketTotal: 200n }),
    ]);
  });

  it('keeps the provider URI when the same account also registers as a validator', () => {
    const p = project(new Map(), history, ctx);
    expect(p.states.get(participantKey(P))).toMatchObject({
      roles: ['provider', 'validator'],
      metadataUri: 'ipfs://p',
      regions: ['eu-west'],
    });
  });

  it('drops regions with the provider role', () => {
    const p = project(
      new Map(),
      [...history, log({ name: 'Deregistered', account: P, kind: 'provider' }, 7)],
      ctx,
    );
    expect(p.states.get(participantKey(P))).toMatchObject({ roles: ['validator'], regions: [] });
  });

  it('counts a provider active only with the minimum stake bonded', () => {
    const s = (bonded: bigint) => ({ kind: 'stake', bonded }) as StakeState;
    const part = { kind: 'participant', roles: ['provider'] } as unknown as ParticipantState;
    expect(isActiveProvider(part, s(100n), 100n)).toBe(true);
    expect(isActiveProvider(part, s(99n), 100n)).toBe(false);
    expect(isActiveProvider(undefined, s(100n), 100n)).toBe(false);
  });

  it('gives the same states applied in one batch or block by block', () => {
    let states = new Map<string, AggregateState | undefined>();
    for (const l of history) {
      const p = project(states, [l], ctx);
      states = new Map([...states, ...p.states]);
    }
    expect(states).toEqual(project(new Map(), history, ctx).states);
  });
});
