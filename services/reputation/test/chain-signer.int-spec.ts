// Reputation with the real chain-indexer following a fresh contract set on the stack's anvil:
// stake and a slash sent on chain reach the score through the indexer's Slashed event (no event
// published by hand), and a reward epoch's root is posted by the chain-indexer's signer (the one
// chain key; the reputation service holds none) before a provider claims its reward on chain
// with the proof the reputation service serves. A root the distributor refuses fails with the
// contract's reason and is posted when asked again after the rewards arrived.
import { credentials } from '@grpc/grpc-js';
import { id as keccakId, encodeBytes32String, type Wallet } from 'ethers';
import { chainIndexerV1 } from '@starminer/proto';
import { type RunningService } from '@starminer/service-kit';
import { waitUntil } from '@starminer/testing';
import { AGPU, freshChain, startChainIndexer, type FreshChain } from './support/chain';
import { dropSchemas, startReputation, type Reputation } from './support/reputation';

const runId = `${process.pid}_${Date.now().toString(36)}`;

let chain: FreshChain;
let indexer: RunningService;
let reputation: Reputation;
let slashed: Wallet;
let reliable: Wallet;
let reputationStopped = false;

/** PostRewardRoot on the chain-indexer's gRPC API. */
function postRewardRoot(
  req: chainIndexerV1.PostRewardRootRequest,
): Promise<chainIndexerV1.PostRewardRootResponse> {
  const ci = new chainIndexerV1.ChainIndexerServiceClient(
    `127.0.0.1:${indexer.grpcPort}`,
    credentials.createInsecure(),
  );
  return new Promise<chainIndexerV1.PostRewardRootResponse>((resolve, reject) =>
    ci.postRewardRoot(req, (err, res) => {
      ci.close();
      if (err) reject(err);
      else resolve(res);
    }),
  );
}

/** A new provider registered and staking `stake` AGPU on the fresh deployment. */
async function stakedProvider(stake: bigint): Promise<Wallet> {
  const w = await chain.fundedWallet();
  await (await chain.funder.agpu.transfer(w.address, stake)).wait();
  const c = chain.as(w);
  await (
    await c.providerRegistry.registerProvider('ipfs://provider', [encodeBytes32String('eu-west')])
  ).wait();
  await (await c.agpu.approve(chain.deployments.contracts.staking, stake)).wait();
  await (await c.staking.stake(stake)).wait();
  return w;
}

const lower = (w: Wallet) => w.address.toLowerCase();

beforeAll(async () => {
  chain = await freshChain();
  indexer = await startChainIndexer({ chain, runId });
  reputation = await startReputation({
    runId,
    deploymentsFile: chain.deploymentsFile,
    // no node event in this test: a region of its own
    regions: [`rep-${runId.replace(/_/g, '-')}`],
    env: {
      CHAIN_INDEXER_GRPC_URL: `127.0.0.1:${indexer.grpcPort}`,
      REPUTATION_EPOCH_SECONDS: '1',
      REPUTATION_ROOT_POST_TIMEOUT_MS: '60000',
    },
  });
  [slashed, reliable] = await Promise.all([
    stakedProvider(2_000n * AGPU),
    stakedProvider(1_000n * AGPU),
  ]);
}, 180_000);

afterAll(async () => {
  if (!reputationStopped) await reputation?.stop();
  await indexer?.stop('test done');
  await dropSchemas(`rep_${runId}`, `rep_ci_${runId}`);
});

describe('reputation with the chain-indexer', () => {
  it('lowers the score of a provider slashed on chain, through the indexer following the chain', async () => {
    // the stake arrives as the indexer's Staked event
    await waitUntil(
      'stake seen through the chain-indexer',
      async () =>
        (await reputation.score(lower(slashed))).stake?.baseUnits === (2_000n * AGPU).toString() ||
        undefined,
      { timeoutMs: 60_000 },
    );
    const before = await reputation.score(lower(slashed));
    expect(before).toMatchObject({ scoreBps: 8_000, excluded: false, slashes: '0' });

    const evidenceHash = keccakId(`slash evidence ${runId}`);
    await (
      await chain.as(chain.slasher).staking.slash(slashed.address, 500n * AGPU, evidenceHash)
    ).wait();

    await waitUntil(
      'slash counted',
      async () => (await reputation.score(lower(slashed))).slashes === '1' || undefined,
      { timeoutMs: 60_000 },
    );
    const after = await reputation.score(lower(slashed));
    expect(after.scoreBps).toBeLessThan(before.scoreBps);
    expect(after.excluded).toBe(true);
    expect(after.stake?.baseUnits).toBe((1_500n * AGPU).toString());
    expect(after.components!.slashFactorBps).toBeLessThan(10_000);
    const x = await reputation.explain(lower(slashed));
    const slash = x.evidence.filter((e) => e.kind === 'slash');
    expect(slash).toHaveLength(1);
    expect(x.formula).toContain('slash');
  }, 120_000);

  it('posts the epoch root through the chain-indexer signer; a provider claims with the served proof', async () => {
    await waitUntil(
      'reliable stake seen',
      async () =>
        (await reputation.score(lower(reliable))).stake?.baseUnits === (1_000n * AGPU).toString() ||
        undefined,
      { timeoutMs: 60_000 },
    );
    const distributor = chain.funder.rewardDistributor;
    await (
      await chain.funder.agpu.approve(chain.deployments.contracts.rewardDistributor, 1_000n * AGPU)
    ).wait();
    await (await distributor.depositRewards(1_000n * AGPU)).wait();

    const proof = await waitUntil(
      'proof served',
      () => reputation.proof(lower(reliable)).catch(() => undefined),
      { timeoutMs: 90_000 },
    );
    // the slashed provider is below the threshold: no share despite its larger stake
    await expect(reputation.proof(lower(slashed), proof.epoch)).rejects.toThrow(
      /NOT_FOUND|no posted epoch/,
    );
    expect(BigInt(proof.amount!.baseUnits)).toBe(1_000n * AGPU);
    expect((await distributor.epochOf(BigInt(proof.epoch))).root).toBe(proof.merkleRoot);
    // the root went on chain in a transaction signed by the chain-indexer's key
    const postTx = await chain.rpc.getTransaction(proof.postTransaction);
    expect(postTx?.from).toBe(chain.settler.address);
    expect(postTx?.to?.toLowerCase()).toBe(
      chain.deployments.contracts.rewardDistributor.toLowerCase(),
    );

    // asking the chain-indexer again for the epoch answers the posted request; another root is refused
    const post = (root: string, retryFailed = false) =>
      postRewardRoot({ epoch: proof.epoch, root, total: proof.epochTotal, retryFailed });
    const again = await post(proof.merkleRoot);
    expect(again).toMatchObject({
      status: chainIndexerV1.RewardRootStatus.REWARD_ROOT_STATUS_POSTED,
      transactionHash: proof.postTransaction,
    });
    // a posted epoch is never replaced, retry or not
    await expect(post(`0x${'12'.repeat(32)}`, true)).rejects.toThrow(/ALREADY_EXISTS/);
    await expect(post('0xnot-a-root')).rejects.toThrow(/INVALID_ARGUMENT.*root '0xnot-a-root'/);

    const balanceBefore = await chain.funder.agpu.balanceOf(reliable.address);
    await (
      await chain
        .as(reliable)
        .rewardDistributor.claim(
          BigInt(proof.epoch),
          reliable.address,
          BigInt(proof.amount!.baseUnits),
          proof.proof,
        )
    ).wait();
    expect((await chain.funder.agpu.balanceOf(reliable.address)) - balanceBefore).toBe(
      1_000n * AGPU,
    );
    expect(await distributor.claimed(BigInt(proof.epoch), reliable.address)).toBe(true);
  }, 150_000);

  it('fails a root the distributor refuses, with its reason, and posts it when retried after rewards arrive', async () => {
    // no epoch runs of the reputation service from here on: this test owns the next epoch
    await reputation.stop();
    reputationStopped = true;
    const S = chainIndexerV1.RewardRootStatus;
    const distributor = chain.funder.rewardDistributor;
    const epoch = (await distributor.nextEpoch()).toString();
    const root = keccakId(`root ${runId}`);
    const total = { baseUnits: (500n * AGPU).toString() };
    const ask = (retryFailed: boolean) => postRewardRoot({ epoch, root, total, retryFailed });
    const until = (status: chainIndexerV1.RewardRootStatus) =>
      waitUntil(
        `reward root ${S[status]}`,
        async () => {
          const r = await ask(false);
          return r.status === status ? r : undefined;
        },
        { timeoutMs: 60_000 },
      );

    await ask(true);
    const failed = await until(S.REWARD_ROOT_STATUS_FAILED);
    expect(failed.detail).toMatch(/InsufficientRewards/);
    expect(failed.transactionHash).toBe(''); // simulated, refused, nothing sent
    await expect(
      postRewardRoot({ epoch, root: `0x${'34'.repeat(32)}`, total, retryFailed: false }),
    ).rejects.toThrow(/ALREADY_EXISTS/);

    await (
      await chain.funder.agpu.approve(chain.deployments.contracts.rewardDistributor, 500n * AGPU)
    ).wait();
    await (await distributor.depositRewards(500n * AGPU)).wait();
    // only a retry re-opens it
    expect((await ask(false)).status).toBe(S.REWARD_ROOT_STATUS_FAILED);
    await ask(true);
    const posted = await until(S.REWARD_ROOT_STATUS_POSTED);
    expect((await distributor.epochOf(BigInt(epoch))).root).toBe(root);
    expect((await chain.rpc.getTransaction(posted.transactionHash))?.from).toBe(
      chain.settler.address,
    );
  }, 150_000);
});
