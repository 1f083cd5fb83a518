// The reputation service against the local stack: job, node and chain events written to an
// outbox and relayed to Kafka (the real wire format) move provider scores; a provider whose jobs
// fail through node faults drops below the exclusion threshold while a reliable one rises, and
// every change is read back as ReputationUpdated from starminer.reputation.v1; a
// Slashed event shows in the score and its explanation; an epoch root, posted by the real
// chain-indexer's signer, lands on a freshly deployed RewardDistributor and a provider claims its
// reward with the proof the service serves. Job and node events another deployment publishes, and
// node events of a region the deployment does not serve, are refused and move no score.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Wallet } from 'ethers';
import { Client, Pool } from 'pg';
import { type StarMinerContracts } from '@starminer/chain';
import {
  OutboxPublisher,
  OutboxRelay,
  Topics,
  catalogueTopics,
  chainEvents,
  decodeEnvelope,
  jobEvents,
  migrateEventing,
  nodeEvents,
  reputationEvents,
  withTransaction,
  type Consumer,
  type EventEnvelope,
  type EventOrigin,
  type EventRegistry,
  type JobEvent,
  type KafkaJsBus,
  type NodeEvent,
  type Producer,
  type ReputationEvent,
  type TypedEvent,
} from '@starminer/eventing';
import { eventsV1, reputationV1 } from '@starminer/proto';
import { JsonLogger, startService, type RunningService } from '@starminer/service-kit';
import {
  requireStackVar,
  stackEnv,
  standInDeployment,
  testBus,
  waitUntil,
  withScopes,
  writeRegionsFile,
  type StandIn,
} from '@starminer/testing';
import { loadConfig } from '../src/config';
import { reputationService } from '../src/service-definition';
import { freshChain, startChainIndexer } from './support/chain';
import { refusedEvents } from './support/reputation';

const id = `${process.pid}_${Date.now().toString(36)}`;
// The region the test's deployment serves, and one it does not.
const region = `rep-${id.replace(/_/g, '-')}`;
const unserved = `${region}-unserved`;
const AGPU = 10n ** 18n;
const logger = new JsonLogger({ service: 'reputation-it', level: 'warn' });

let deployment: StandIn;
let regionsDir: string;
let indexer: RunningService;
let service: RunningService;
let client: reputationV1.ReputationServiceClient;
let feedPool: Pool;
let feedBus: KafkaJsBus;
let feedProducer: Producer;
let feedRelay: OutboxRelay;
let updatesConsumer: Consumer;
/** ReputationUpdated envelopes read back from starminer.reputation.v1 (this file's own topic). */
const published: Array<EventEnvelope<ReputationEvent>> = [];
let funder: StarMinerContracts;
let distributorAddress: string;
let stakingAddress: string;
const feedSchema = `reputation_it_feed_${id}`;
const schema = `reputation_it_${id}`;
const groupId = `reputation-it-${id}`;
const faulty = Wallet.createRandom().address.toLowerCase();
const reliable = Wallet.createRandom().address.toLowerCase();
const slashed = Wallet.createRandom().address.toLowerCase();
const clientWallet = Wallet.createRandom().address.toLowerCase();
const outsider = Wallet.createRandom().address.toLowerCase();

function call<Req, Res>(
  method: keyof reputationV1.ReputationServiceClient,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    (client[method] as unknown as (r: Req, cb: (e: Error | null, res: Res) => void) => void).call(
      client,
      req,
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}
const score = async (provider: string) =>
  (
    await call<reputationV1.GetScoreRequest, reputationV1.GetScoreResponse>('getScore', {
      provider,
      pool: '',
    })
  ).score!;

/**
 * Publishes through the eventing outbox of a feeder schema, in order, as the producing services
 * do: each event as the service owning its type in the test's deployment, or as `origin` (a
 * forger).
 */
async function publish<E extends TypedEvent>(
  registry: EventRegistry<E>,
  items: Array<{ key: string; event: E }>,
  origin?: EventOrigin,
): Promise<string[]> {
  return withTransaction(feedPool, async (tx) => {
    const ids: string[] = [];
    for (const i of items) {
      const as = origin ?? deployment.as(registry.definition(i.event.type).producer).origin;
      const [env] = await new OutboxPublisher(feedSchema, registry, as).publish(tx, [
        { aggregateId: i.key, event: i.event },
      ]);
      ids.push(env!.eventId);
    }
    return ids;
  });
}

/** Events the service's consumer refused so far (starminer_events_refused_total), by reason. */
const refused = () => refusedEvents(service.httpPort, groupId);

const placement = (provider: string) => ({
  provider,
  region,
  pool: `it-${id}`,
  node: 'node-1',
});
const usage = (gpuSeconds: number) => ({
  gpuSeconds: String(gpuSeconds),
  cost: { baseUnits: '0' },
});
const gpu = { product: 'NVIDIA-H100-80GB-HBM3', count: 1, minVramMib: 0 };

/** The events of one job run on `provider`, ending with `end`. */
function jobRun(
  provider: string,
  end: 'fault' | 'success' | 'workload-error',
): Array<{ key: string; event: JobEvent }> {
  const jobId = randomUUID();
  const p = placement(provider);
  // only the fields the reputation service reads; the rest of the spec is left out
  const events = [
    {
      type: 'JobSubmitted',
      jobId,
      clientId: 'tenant',
      clientAddress: clientWallet,
      spec: { gpu, maxDurationSeconds: 7_200, regionPreference: [], jobClass: 0, urgency: 2 },
      estimatedRuntimeSeconds: 3_600,
    },
    {
      type: 'JobDispatched',
      jobId,
      placement: p,
      kubernetesNamespace: 'jobs',
      kubernetesJobName: `j-${jobId}`,
      attempt: 1,
    },
    { type: 'JobStarted', jobId, placement: p, podName: 'pod', attempt: 1, startedAt: undefined },
    end === 'success'
      ? { type: 'JobSucceeded', jobId, clientId: 'tenant', placement: p, usage: usage(3_600) }
      : {
          type: 'JobFailed',
          jobId,
          clientId: 'tenant',
          placement: p,
          usage: usage(1_800),
          reason: end === 'fault' ? 'NodeLost' : 'ExitCode',
          message: '',
          exitCode: end === 'fault' ? 0 : 1,
          kind:
            end === 'fault'
              ? eventsV1.JobFailureKind.JOB_FAILURE_KIND_NODE_FAULT
              : eventsV1.JobFailureKind.JOB_FAILURE_KIND_WORKLOAD_ERROR,
        },
  ];
  return events.map((event) => ({ key: jobId, event: event as JobEvent }));
}

/** Where the chain-indexer would have seen the event: this run's Staking contract by default. */
const logRef = (block: number, contract = stakingAddress) => ({
  chainId: String(deployment.deployments.chainId),
  blockNumber: String(block),
  blockHash: '0x',
  transactionHash: '0x',
  transactionIndex: 0,
  logIndex: 0,
  contract,
});

beforeAll(async () => {
  // a fresh deployment, followed by the real chain-indexer whose key posts the reward roots
  const chain = await freshChain();
  deployment = withScopes(chain.deployments, chain.deploymentsFile);
  indexer = await startChainIndexer({ chain, runId: id });
  distributorAddress = chain.deployments.contracts.rewardDistributor;
  stakingAddress = chain.deployments.contracts.staking;
  const deploymentsFile = chain.deploymentsFile;
  funder = chain.funder;

  feedPool = new Pool({ connectionString: requireStackVar('DATABASE_URL') });
  await migrateEventing(feedPool, feedSchema);
  feedBus = testBus(`reputation-it-feed-${id}`, { logger });
  feedProducer = feedBus.producer();
  await feedProducer.connect();
  feedRelay = new OutboxRelay({
    pool: feedPool,
    leaseConnection: { connectionString: requireStackVar('DATABASE_URL') },
    schema: feedSchema,
    producer: feedProducer,
    logger,
    pollIntervalMs: 100,
  });
  feedRelay.start();

  // the topic is this file's own (its Kafka namespace): the service under test is its one writer
  await feedBus.ensureTopics(catalogueTopics([Topics.reputation]));
  updatesConsumer = feedBus.consumer({
    groupId: `reputation-it-updates-${id}`,
    fromBeginning: true,
  });
  await updatesConsumer.start([Topics.reputation], async (batch) => {
    for (const m of batch.messages) {
      if (!m.value) continue;
      const env = decodeEnvelope(reputationEvents, m.value);
      // delivery is at least once: a redelivered envelope (same event id) is the same update
      if (env.type === 'ReputationUpdated' && !published.some((p) => p.eventId === env.eventId))
        published.push(env);
    }
    const last = batch.messages.at(-1);
    if (last) await batch.commit(last.offset);
  });

  regionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reputation-it-'));
  const config = loadConfig({
    ...stackEnv(),
    DATABASE_SCHEMA: schema,
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'warn',
    REPUTATION_CONSUMER_GROUP: groupId,
    REPUTATION_EPOCH_SECONDS: '1',
    CHAIN_INDEXER_GRPC_URL: `127.0.0.1:${indexer.grpcPort}`,
    DEPLOYMENTS_FILE: deploymentsFile,
    REGIONS_FILE: writeRegionsFile(regionsDir, [region]),
  });
  service = await startService(reputationService, config, logger);
  client = new reputationV1.ReputationServiceClient(
    `127.0.0.1:${service.grpcPort}`,
    credentials.createInsecure(),
  );
  // tables migrated and the consumer in its group before anything is published
  await waitUntil(
    'service ready',
    async () =>
      (await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).ok ? true : undefined,
    { timeoutMs: 90_000 },
  );
}, 120_000);

afterAll(async () => {
  await updatesConsumer?.stop();
  client?.close();
  await service?.stop('test done');
  await indexer?.stop('test done');
  await feedRelay?.stop();
  await feedProducer?.disconnect();
  await feedBus?.close();
  await feedPool?.end();
  if (regionsDir) fs.rmSync(regionsDir, { recursive: true, force: true });
  const db = new Client({ connectionString: requireStackVar('DATABASE_URL') });
  await db.connect();
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.query(`DROP SCHEMA IF EXISTS ${feedSchema} CASCADE`);
  await db.query(`DROP SCHEMA IF EXISTS rep_ci_${id} CASCADE`);
  await db.end();
});

describe('reputation service', () => {
  it('drops a provider whose nodes fail jobs below the threshold and raises a reliable one', async () => {
    const newcomer = await score(Wallet.createRandom().address);
    expect(newcomer).toMatchObject({
      scoreBps: 8_000,
      excluded: false,
      exclusionThresholdBps: 5_000,
    });

    const runs = [];
    for (let i = 0; i < 5; i++)
      runs.push(
        ...jobRun(faulty, 'fault'),
        ...jobRun(reliable, 'success'),
        ...jobRun(slashed, 'success'),
      );
    runs.push(...jobRun(reliable, 'workload-error')); // the client's own failure: no effect
    await publish(jobEvents, runs);

    // exclusion comes before the last fault: wait for every fault, not for the exclusion
    const f = await waitUntil(
      'faulty provider counted all its faults',
      async () => {
        const s = await score(faulty);
        return s.jobsFailed === '5' ? s : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // and for the reliable provider's workload error too, so its failure count is the final one
    await waitUntil(
      "the reliable provider's workload error recorded as ignored evidence",
      async () =>
        (
          await call<reputationV1.ExplainScoreRequest, reputationV1.ExplainScoreResponse>(
            'explainScore',
            { provider: reliable, pool: '', evidenceLimit: 0 },
          )
        ).evidence.some((e) => e.kind === 'ignored' && e.cause === 'workload-error') || undefined,
      { timeoutMs: 60_000 },
    );
    const r = await waitUntil(
      'reliable provider counted all its jobs',
      async () => {
        const s = await score(reliable);
        return s.jobsSucceeded === '5' ? s : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(f.excluded).toBe(true);
    expect(f.scoreBps).toBeLessThan(5_000);
    expect(f.jobsFailed).toBe('5');
    expect(r.scoreBps).toBeGreaterThan(newcomer.scoreBps);
    expect(r.jobsFailed).toBe('0');
    expect(r.excluded).toBe(false);

    const page = await call<reputationV1.ListScoresRequest, reputationV1.ListScoresResponse>(
      'listScores',
      {
        pageSize: 1,
        pageToken: '',
        sortBy: reputationV1.ScoreSortField.SCORE_SORT_FIELD_SCORE,
        reverse: true,
        pools: true,
        provider: faulty,
      },
    );
    expect(page.scores[0]).toMatchObject({
      provider: faulty,
      pool: `${region}/it-${id}`,
      excluded: true,
    });
  }, 120_000);

  it('publishes ReputationUpdated on starminer.reputation.v1 for every score change', async () => {
    const current = await score(faulty);
    const overall = () =>
      published.filter((e) => e.event.provider === faulty && e.event.pool === '');
    // the last published update of the provider's overall score is the score the API serves
    const last = await waitUntil(
      'faulty provider update published',
      () => {
        const l = overall().at(-1);
        return l?.event.scoreBps === current.scoreBps ? l : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // every update on the topic is this service's, in this deployment
    expect(
      published.filter(
        (e) => e.producer !== 'reputation' || e.deploymentId !== deployment.deploymentId,
      ),
    ).toEqual([]);
    expect(last.event).toMatchObject({
      provider: faulty,
      excluded: true,
      exclusionThresholdBps: 5_000,
      model: 'default-v1',
      jobsSucceeded: '0',
      jobsFailedNodeFault: '5',
    });
    // one update per change, each starting where the previous ended, from the first fault on
    const updates = overall();
    expect(updates[0]!.event.previousScoreBps).toBe(0);
    for (let i = 1; i < updates.length; i++)
      expect(updates[i]!.event.previousScoreBps).toBe(updates[i - 1]!.event.scoreBps);
    // the exclusion was caused by a JobFailed that is in the score's evidence
    const crossing = updates.find((u) => u.event.excluded)!;
    expect(crossing.event.causeType).toBe('JobFailed');
    const x = await call<reputationV1.ExplainScoreRequest, reputationV1.ExplainScoreResponse>(
      'explainScore',
      { provider: faulty, pool: '', evidenceLimit: 0 },
    );
    expect(x.evidence.filter((e) => e.kind === 'fault').map((e) => e.eventId)).toContain(
      crossing.event.causeEventId,
    );
    // the pool's score is published too (after the overall one of the same event: wait for it)
    await waitUntil(
      "the faulty pool's exclusion published",
      () =>
        published.some(
          (e) =>
            e.event.provider === faulty &&
            e.event.pool === `${region}/it-${id}` &&
            e.event.excluded,
        ) || undefined,
      { timeoutMs: 30_000 },
    );
  }, 120_000);

  it('shows a Slashed chain event in the score and its explanation', async () => {
    await waitUntil(
      'slashed provider scored',
      async () => (await score(slashed)).jobsSucceeded === '5' || undefined,
      { timeoutMs: 60_000 },
    );
    const before = await score(slashed);
    const [slashEventId] = await publish(chainEvents, [
      {
        key: slashed,
        event: {
          type: 'Slashed',
          log: logRef(1),
          provider: slashed,
          amount: { baseUnits: (100n * AGPU).toString() },
          evidenceHash: `0x${'ab'.repeat(32)}`,
          jobId: '',
          totalStaked: { baseUnits: (900n * AGPU).toString() },
        },
      },
    ]);
    await waitUntil(
      'slash counted',
      async () => (await score(slashed)).slashes === '1' || undefined,
      { timeoutMs: 60_000 },
    );
    const after = await score(slashed);
    expect(after.scoreBps).toBeLessThan(before.scoreBps);
    expect(after.excluded).toBe(true);
    expect(after.stake?.baseUnits).toBe((900n * AGPU).toString());
    const x = await call<reputationV1.ExplainScoreRequest, reputationV1.ExplainScoreResponse>(
      'explainScore',
      { provider: slashed, pool: '', evidenceLimit: 0 },
    );
    expect(x.evidence.find((e) => e.kind === 'slash')?.eventId).toBe(slashEventId);
    expect(x.formula).toContain('slash');
  }, 120_000);

  it('posts an epoch root and lets a provider claim its reward with the served proof', async () => {
    await publish(chainEvents, [
      {
        key: reliable,
        event: {
          type: 'Staked',
          log: logRef(2),
          provider: reliable,
          amount: { baseUnits: (1_000n * AGPU).toString() },
          totalStaked: { baseUnits: (1_000n * AGPU).toString() },
        },
      },
      {
        key: faulty,
        event: {
          type: 'Staked',
          log: logRef(2),
          provider: faulty,
          amount: { baseUnits: (5_000n * AGPU).toString() },
          totalStaked: { baseUnits: (5_000n * AGPU).toString() },
        },
      },
      {
        // another deployment's Staking contract on the same topic: not this protocol's stake
        key: outsider,
        event: {
          type: 'Staked',
          log: logRef(2, Wallet.createRandom().address),
          provider: outsider,
          amount: { baseUnits: (9_000n * AGPU).toString() },
          totalStaked: { baseUnits: (9_000n * AGPU).toString() },
        },
      },
    ]);
    // every stake event handled before the rewards arrive, the outsider's refused: the epoch
    // below weighs all three
    await waitUntil(
      'stake seen',
      async () =>
        ((await score(reliable)).stake?.baseUnits === (1_000n * AGPU).toString() &&
          (await score(faulty)).stake?.baseUnits === (5_000n * AGPU).toString() &&
          (await refused()).foreign_contract === 1) ||
        undefined,
      { timeoutMs: 60_000 },
    );
    expect((await score(outsider)).stake?.baseUnits ?? '0').toBe('0');
    await (await funder.agpu.approve(distributorAddress, 1_000n * AGPU)).wait();
    await (await funder.rewardDistributor.depositRewards(1_000n * AGPU)).wait();

    const proof = await waitUntil(
      'proof served',
      () =>
        call<reputationV1.GetRewardProofRequest, reputationV1.GetRewardProofResponse>(
          'getRewardProof',
          { account: reliable, epoch: '0' },
        ).catch(() => undefined),
      { timeoutMs: 60_000 },
    );
    // the faulty provider is below the threshold: no share despite its larger stake
    await expect(call('getRewardProof', { account: faulty, epoch: proof.epoch })).rejects.toThrow(
      /NOT_FOUND|no posted epoch/,
    );
    await expect(call('getRewardProof', { account: outsider, epoch: proof.epoch })).rejects.toThrow(
      /NOT_FOUND|no posted epoch/,
    );
    // the only eligible stake of this deployment: the whole deposit
    expect(BigInt(proof.amount!.baseUnits)).toBe(1_000n * AGPU);
    const epoch = await funder.rewardDistributor.epochOf(BigInt(proof.epoch));
    expect(epoch.root).toBe(proof.merkleRoot);

    const balanceBefore = await funder.agpu.balanceOf(reliable);
    await (
      await funder.rewardDistributor.claim(
        BigInt(proof.epoch),
        reliable,
        BigInt(proof.amount!.baseUnits),
        proof.proof,
      )
    ).wait();
    expect((await funder.agpu.balanceOf(reliable)) - balanceBefore).toBe(1_000n * AGPU);
    expect(await funder.rewardDistributor.claimed(BigInt(proof.epoch), reliable)).toBe(true);
  }, 120_000);

  it('moves no score on job or node events of another deployment or an unserved region', async () => {
    const target = Wallet.createRandom().address.toLowerCase();
    const control = Wallet.createRandom().address.toLowerCase();
    const counted = (r: Record<string, number>, reason: string) => r[reason] ?? 0;
    const before = await refused();
    const quarantine = (provider: string, r: string): NodeEvent => ({
      type: 'NodeQuarantined',
      region: r,
      node: 'node-1',
      provider,
      pool: `it-${id}`,
      reason: 'NotReady',
      message: '',
    });
    // Another deployment's matchmaker reports a job of the target lost through a node fault and
    // its registry quarantines the target's node; this deployment's registry quarantines the
    // target's node in a region the deployment does not serve.
    const other = standInDeployment(deployment.deployments.chainId);
    const forgedJob = jobRun(target, 'fault');
    await publish(jobEvents, forgedJob, other.as('matchmaker').origin);
    await publish(
      nodeEvents,
      [{ key: `${region}/node-1`, event: quarantine(target, region) }],
      other.as('registry').origin,
    );
    await publish(nodeEvents, [{ key: `${unserved}/node-1`, event: quarantine(target, unserved) }]);
    // This deployment's matchmaker: one successful job each for the target and a control.
    await publish(jobEvents, [...jobRun(target, 'success'), ...jobRun(control, 'success')]);

    const now = await waitUntil(
      'the forged events refused',
      async () => {
        const r = await refused();
        return counted(r, 'foreign_deployment') - counted(before, 'foreign_deployment') >=
          forgedJob.length + 1 &&
          counted(r, 'unknown_region') - counted(before, 'unknown_region') >= 1
          ? r
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(counted(now, 'foreign_deployment') - counted(before, 'foreign_deployment')).toBe(
      forgedJob.length + 1,
    );
    expect(counted(now, 'unknown_region') - counted(before, 'unknown_region')).toBe(1);

    // The legitimate success moves the target's score exactly as the control's: the forged
    // fault and quarantines count for nothing.
    const [t, c] = await waitUntil(
      'both providers scored for their job',
      async () => {
        const [ts, cs] = await Promise.all([score(target), score(control)]);
        return ts.jobsSucceeded === '1' && cs.jobsSucceeded === '1' ? [ts, cs] : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(t.jobsFailed).toBe('0');
    expect(t.scoreBps).toBeGreaterThan(8_000);
    expect(t.scoreBps).toBe(c.scoreBps);
    expect(t.components).toEqual(c.components);
    const x = await call<reputationV1.ExplainScoreRequest, reputationV1.ExplainScoreResponse>(
      'explainScore',
      { provider: target, pool: '', evidenceLimit: 0 },
    );
    expect(x.evidence.filter((e) => e.kind === 'fault' || e.kind === 'quarantine')).toEqual([]);
  }, 120_000);
});
