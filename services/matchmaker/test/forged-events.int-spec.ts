import { randomUUID } from 'node:crypto';
import { Topics, type StarminerEvent } from '@starminer/eventing';
import { commonV1, type matchmakerV1 } from '@starminer/proto';
import { standInDeployment, waitUntil } from '@starminer/testing';
import {
  call,
  deleteNamespace,
  EventPublisher,
  startMatchmaker,
  startQuoteServer,
  type Matchmaker,
} from './support/harness';
import { EventStoreProbe } from './support/private-stack';

// Forged events on the matchmaker's own topics (its deployment's namespace on the shared Kafka),
// on real Kafka, Postgres and the stack's kube-apiservers: node and price events of another
// deployment, of a region its regions file does not list, from a service that does not publish
// them or naming no deployment, and escrow fundings from another contract or chain. Each is
// dropped before it touches the read model or a job, and counted by reason on
// starminer_events_refused_total; the legitimate event of the same kind published right after
// it (same key, so the same partition, consumed after it) is applied.
const runId = randomUUID().slice(0, 8);
const CLIENT = '0x00000000000000000000000000000000000000c7';
const schema = `mm_${runId.replace(/-/g, '_')}`;
const group = `mm-${runId}`;
/** The matchmaker's deployment: a stand-in (no contracts run here). */
const deployment = standInDeployment();
/** Another deployment sharing the broker: its events must never be applied here. */
const other = standInDeployment();
let mm: Matchmaker;
let events: EventPublisher;
let quotes: Awaited<ReturnType<typeof startQuoteServer>>;
let probe: EventStoreProbe;

beforeAll(async () => {
  probe = new EventStoreProbe(schema);
  quotes = await startQuoteServer();
  events = new EventPublisher(deployment);
  await events.connect();
  // The stack's regions file: us-east, eu-west and ap-south.
  mm = await startMatchmaker({ pricingAddress: quotes.address, runId, deployment });
});

afterAll(async () => {
  await mm?.stop();
  await events?.disconnect();
  await quotes?.stop();
  await deleteNamespace(`mm-${runId}`);
  await probe?.drop();
});

/** starminer_events_refused_total of this matchmaker's group, by "reason topic". */
async function refused(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await mm.metrics()).split('\n')) {
    const m = /^starminer_events_refused_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (labels.group !== group) continue;
    out[`${labels.reason} ${labels.topic}`] = Number(m[2]);
  }
  return out;
}

/** Waits until the matchmaker has refused `n` events of `topic` for `reason`. */
const refusedCount = (reason: string, topic: string, n = 1) =>
  waitUntil(`${n} ${topic} event(s) refused as ${reason}`, async () =>
    ((await refused())[`${reason} ${topic}`] ?? 0) >= n ? true : undefined,
  );

const nodeRow = async (region: string, node: string) =>
  (
    await probe.pool.query<{ gpus: number; product: string; provider: string }>(
      `SELECT gpus, product, provider FROM ${schema}.nodes WHERE region = $1 AND node = $2`,
      [region, node],
    )
  ).rows[0];

const nodesNamed = async (node: string) =>
  Number(
    (
      await probe.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${schema}.nodes WHERE node = $1`,
        [node],
      )
    ).rows[0]!.n,
  );

const price = async (product: string, region: string, urgency: number) =>
  (
    await probe.pool.query<{ price: string }>(
      `SELECT price FROM ${schema}.prices WHERE product = $1 AND region = $2 AND urgency = $3`,
      [product, region, urgency],
    )
  ).rows[0]?.price;

const nodeJoined = (region: string, node: string, gpus: number): StarminerEvent => ({
  type: 'NodeJoined',
  region,
  node,
  provider: '0x00000000000000000000000000000000000000a7',
  pool: 'l40s-forged',
  gpus: { product: 'L40S', count: gpus, memoryMib: 46_068 },
});

const priceUpdated = (
  product: string,
  region: string,
  urgency: number,
  p: bigint,
): StarminerEvent => ({
  type: 'PriceUpdated',
  tier: { gpuProduct: product, region, urgency },
  previousPricePerGpuSecond: undefined,
  pricePerGpuSecond: { baseUnits: p.toString() },
  queuedGpus: 0,
  freeGpus: 0,
  strategy: 'test',
});

describe('forged node and price events', () => {
  it('drops a PriceUpdated of another deployment; pricing’s own, right after, is applied', async () => {
    const key = 'L40S|us-east/1';
    await events.publish(key, [priceUpdated('L40S', 'us-east', 1, 111n)], {
      deploymentId: other.deploymentId,
    });
    await refusedCount('foreign_deployment', Topics.market);
    expect(await price('L40S', 'us-east', 1)).toBeUndefined();

    await events.publish(key, [priceUpdated('L40S', 'us-east', 1, 222n)]);
    expect(
      await waitUntil('the price of this deployment applied', () => price('L40S', 'us-east', 1)),
    ).toBe('222');
  });

  it('drops a NodeJoined of another deployment; the registry’s own, right after, is applied', async () => {
    const node = `foreign-${runId}`;
    const key = `us-east/${node}`;
    await events.publish(key, [nodeJoined('us-east', node, 8)], {
      deploymentId: other.deploymentId,
    });
    await refusedCount('foreign_deployment', Topics.node);
    expect(await nodeRow('us-east', node)).toBeUndefined();

    await events.publish(key, [nodeJoined('us-east', node, 4)]);
    const row = await waitUntil('the node of this deployment applied', () =>
      nodeRow('us-east', node),
    );
    expect(row).toMatchObject({ gpus: 4, product: 'L40S' });
  });

  it('drops a NodeJoined of a region its regions file does not list; one of a listed region is applied', async () => {
    const node = `unlisted-${runId}`;
    const key = `node/${node}`;
    await events.publish(key, [nodeJoined(`mars-${runId}`, node, 8)]);
    await refusedCount('unknown_region', Topics.node);
    expect(await nodesNamed(node)).toBe(0);

    await events.publish(key, [nodeJoined('eu-west', node, 2)]);
    const row = await waitUntil('the node of a listed region applied', () =>
      nodeRow('eu-west', node),
    );
    expect(row).toMatchObject({ gpus: 2 });
    // Only the listed region's node is there: the unlisted one never was.
    expect(await nodesNamed(node)).toBe(1);
  });

  it('drops a PriceUpdated not published by pricing; pricing’s own, right after, is applied', async () => {
    const key = 'L40S|eu-west/2';
    await events.publish(key, [priceUpdated('L40S', 'eu-west', 2, 111n)], { producer: 'registry' });
    await refusedCount('wrong_producer', Topics.market);
    expect(await price('L40S', 'eu-west', 2)).toBeUndefined();

    await events.publish(key, [priceUpdated('L40S', 'eu-west', 2, 333n)]);
    expect(
      await waitUntil('the price published by pricing applied', () => price('L40S', 'eu-west', 2)),
    ).toBe('333');
  });

  it('drops a node event that names no deployment; the same event naming this one is applied', async () => {
    const node = `anonymous-${runId}`;
    const key = `ap-south/${node}`;
    await events.publish(key, [nodeJoined('ap-south', node, 8)], { deploymentId: '' });
    await refusedCount('no_deployment', Topics.node);
    expect(await nodeRow('ap-south', node)).toBeUndefined();

    await events.publish(key, [nodeJoined('ap-south', node, 8)]);
    const row = await waitUntil('the node naming this deployment applied', () =>
      nodeRow('ap-south', node),
    );
    expect(row).toMatchObject({ gpus: 8 });
  });
});

describe('forged escrow fundings', () => {
  it('leaves a job unfunded by an EscrowFunded from another contract or another chain; its JobEscrow’s funds it', async () => {
    const res = await call<matchmakerV1.SubmitJobRequest, matchmakerV1.SubmitJobResponse>(
      mm.client.submitJob.bind(mm.client),
      {
        idempotencyKey: randomUUID(),
        client: CLIENT,
        quoteId: '',
        clientId: `tenant-${runId}`,
        // Eight A100-40GB on one node: no node here has them, so once funded it waits queued.
        spec: {
          workload: {
            image: 'ghcr.io/acme/train:1.0',
            command: [],
            args: [],
            env: {},
            template: undefined,
          },
          gpu: { product: 'A100-40GB', count: 8, minVramMib: 0 },
          jobClass: commonV1.JobClass.JOB_CLASS_UNSPECIFIED,
          urgency: commonV1.Urgency.URGENCY_NORMAL,
          latency: { mode: { $case: 'batch', value: {} } },
          regionPreference: ['us-east'],
          maxPrice: { baseUnits: (10n ** 24n).toString() },
          maxDurationSeconds: 120,
        },
        simulation: { runtime: '5s', fail: false, exitCode: 0 },
      },
    );
    const job = res.job!;
    expect(job.state).toBe(commonV1.JobState.JOB_STATE_QUOTED);
    const getJob = async () =>
      (
        await call<matchmakerV1.GetJobRequest, matchmakerV1.GetJobResponse>(
          mm.client.getJob.bind(mm.client),
          { jobId: job.jobId },
        )
      ).job!;
    const fund = (log = {}) =>
      events.fund(job.jobId, CLIENT, job.quote!.quoteId, BigInt(job.quote!.total!.baseUnits), log);

    // Another deployment's JobEscrow, on the same chain, under this deployment's envelope.
    await fund({ contract: other.deployments.contracts.jobEscrow });
    await refusedCount('foreign_contract', Topics.chain);
    expect((await getJob()).state).toBe(commonV1.JobState.JOB_STATE_QUOTED);

    // This deployment's JobEscrow address, but a log of another chain.
    await fund({ chainId: String(deployment.deployments.chainId + 1) });
    await refusedCount('foreign_chain', Topics.chain);
    expect((await getJob()).state).toBe(commonV1.JobState.JOB_STATE_QUOTED);
    // Nothing was recorded for it: no JobFunded, no deposit.
    expect((await probe.typeCounts()).get(job.jobId)).toEqual({ JobSubmitted: 1, JobQuoted: 1 });
    expect((await probe.state(job.jobId)).deposit).toBeUndefined();

    // The deployment's own JobEscrow on its chain: funded (and queued: no node fits it).
    await fund();
    await waitUntil('the job funded by its JobEscrow', async () =>
      (await getJob()).state === commonV1.JobState.JOB_STATE_QUEUED ? true : undefined,
    );
    // Funded once, by the legitimate event: the forged ones left nothing behind.
    expect((await probe.typeCounts()).get(job.jobId)).toMatchObject({ JobFunded: 1, JobQueued: 1 });
    expect((await probe.state(job.jobId)).deposit).toBe(BigInt(job.quote!.total!.baseUnits));
  });
});

describe('the refused-events counter', () => {
  // Runs last: after every forged event above was refused.
  it('counts every refused event by reason on starminer_events_refused_total', async () => {
    expect(await refused()).toEqual({
      [`foreign_deployment ${Topics.market}`]: 1,
      [`foreign_deployment ${Topics.node}`]: 1,
      [`unknown_region ${Topics.node}`]: 1,
      [`wrong_producer ${Topics.market}`]: 1,
      [`no_deployment ${Topics.node}`]: 1,
      [`foreign_contract ${Topics.chain}`]: 1,
      [`foreign_chain ${Topics.chain}`]: 1,
    });
    expect(mm.runtime.deployment.deploymentId).toBe(deployment.deploymentId);
  });
});
