import { randomUUID } from 'node:crypto';
import { Wallet } from 'ethers';
import { Pool } from 'pg';
import {
  connectContracts,
  devWallet,
  jobIdFromUuid,
  toBytes32,
  type Quote,
} from '@starminer/chain';
import { commonV1, type matchmakerV1 } from '@starminer/proto';
import {
  deployFreshProtocol,
  type PrivateKwokRegion,
  requireStackVar,
  waitUntil,
  withScopes,
  type FreshProtocol,
} from '@starminer/testing';
import { call, startMatchmaker, type Matchmaker } from './support/harness';
import {
  joinedPrivateRegion,
  registerAndStake,
  startProtocolServices,
  type ProtocolServices,
} from './support/protocol-services';

// The whole path on real services and a real chain: the real pricing quotes and signs, the client
// funds the escrow with that signed quote, the real chain-indexer reports EscrowFunded, the
// matchmaker matches on the real registry's nodes (kwok GPU nodes of the test's own staked
// provider, joined to a private kwok control plane serving as region ap-south), kwok runs the pod, and the chain-indexer's settlement
// signer settles from the terminal event's metered usage; EscrowSettled brings the job to Settled.
// Checked on chain: the provider's pull-payout credit and the client's refund, exactly.
const run = randomUUID().slice(0, 8);
const REGION = 'ap-south';
const H100 = 'NVIDIA-H100-80GB-HBM3';
const QUOTE_VALIDITY_SECONDS = 40;
/** Dev account 18: a client wallet no other suite uses. */
const client = devWallet(18);

let protocol: FreshProtocol;
let provider: Wallet;
let services: ProtocolServices | undefined;
let region: PrivateKwokRegion | undefined;
let mm: Matchmaker | undefined;
let clientWallet: Wallet;
let feeBps: bigint;

const spec = (o: Partial<commonV1.JobSpec> = {}): commonV1.JobSpec => ({
  workload: {
    image: 'ghcr.io/acme/train:1.0',
    command: ['python', 'train.py'],
    args: [],
    env: {},
    template: undefined,
  },
  gpu: { product: H100, count: 2, minVramMib: 0 },
  jobClass: commonV1.JobClass.JOB_CLASS_UNSPECIFIED,
  urgency: commonV1.Urgency.URGENCY_NORMAL,
  latency: { mode: { $case: 'batch', value: {} } },
  regionPreference: [REGION],
  maxPrice: { baseUnits: (10n ** 24n).toString() },
  maxDurationSeconds: 120,
  ...o,
});

async function submit(
  s: commonV1.JobSpec,
  simulation?: matchmakerV1.Simulation,
): Promise<matchmakerV1.Job> {
  const m = mm!;
  const res = await call<matchmakerV1.SubmitJobRequest, matchmakerV1.SubmitJobResponse>(
    m.client.submitJob.bind(m.client),
    {
      idempotencyKey: randomUUID(),
      client: client.address,
      spec: s,
      quoteId: '',
      clientId: `tenant-${run}`,
      simulation,
    },
  );
  return res.job!;
}

const getJob = (jobId: string) =>
  call<matchmakerV1.GetJobRequest, matchmakerV1.GetJobResponse>(
    mm!.client.getJob.bind(mm!.client),
    {
      jobId,
    },
  ).then((r) => r.job!);

const waitState = (jobId: string, state: commonV1.JobState, timeoutMs = 120_000) =>
  waitUntil(
    `job ${jobId} in ${commonV1.jobStateToJSON(state)}`,
    async () => {
      const j = await getJob(jobId);
      return j.state === state ? j : undefined;
    },
    { timeoutMs },
  );

/** The EIP-712 quote the escrow verifies, as the matchmaker's job carries it. */
function onChainQuote(job: matchmakerV1.Job): Quote {
  const q = job.quote!;
  return {
    jobId: jobIdFromUuid(job.jobId),
    client: client.address,
    pricePerGpuSecond: BigInt(q.pricePerGpuSecond!.baseUnits),
    maxGpuSeconds: BigInt(q.maxGpuSeconds),
    tier: q.escrowTier,
    maxDuration: BigInt(q.maxDuration),
    expiry: BigInt(Math.floor(new Date(q.expiresAt!).getTime() / 1000)),
    nonce: BigInt(q.quoteId),
  };
}

/** The client approves and funds the escrow with the signed quote, as a wallet would. */
async function fund(job: matchmakerV1.Job): Promise<bigint> {
  const c = connectContracts(protocol.deployments, clientWallet);
  const quote = onChainQuote(job);
  const deposit = quote.pricePerGpuSecond * quote.maxGpuSeconds;
  await (await c.agpu.approve(protocol.deployments.contracts.jobEscrow, deposit)).wait();
  await (await c.jobEscrow.fund(quote.jobId, quote, job.quote!.signature)).wait();
  return deposit;
}

const credits = async (address: string): Promise<bigint> =>
  connectContracts(protocol.deployments, protocol.provider).jobEscrow.credits(address);

/** The escrow's status on chain (0 None, 1 Funded, 2 Settled). */
const escrowStatus = async (jobId: string): Promise<number> =>
  Number(
    (
      await connectContracts(protocol.deployments, protocol.provider).jobEscrow.jobOf(
        jobIdFromUuid(jobId),
      )
    ).status,
  );

/** Runs a funded job to Settled and checks the money: provider credit and client refund, exact. */
async function expectSettledExactly(
  job: matchmakerV1.Job,
  deposit: bigint,
  before: { provider: bigint; client: bigint },
  timeoutMs = 120_000,
): Promise<matchmakerV1.Job> {
  const settled = await waitState(job.jobId, commonV1.JobState.JOB_STATE_SETTLED, timeoutMs);
  // The money is read from the chain: wait on the chain's own view of the escrow (settled in the
  // same transaction that credits both sides), not only on the matchmaker's.
  await waitUntil(`escrow of ${job.jobId} Settled on chain`, async () =>
    (await escrowStatus(job.jobId)) === 2 ? true : undefined,
  );
  const gpuSeconds = BigInt(settled.gpuSeconds);
  const price = BigInt(job.quote!.pricePerGpuSecond!.baseUnits);
  const charged = price * gpuSeconds;
  const fee = (charged * feeBps) / 10_000n;
  expect(BigInt(settled.cost!.baseUnits)).toBe(charged);
  expect((await credits(provider.address)) - before.provider).toBe(charged - fee);
  expect((await credits(client.address)) - before.client).toBe(deposit - charged);
  return settled;
}

const snapshot = async () => ({
  provider: await credits(provider.address),
  client: await credits(client.address),
});

beforeAll(async () => {
  const rpc = requireStackVar('CHAIN_RPC_URL');
  const AGPU = 10n ** 18n;
  protocol = await deployFreshProtocol(rpc, {
    grants: [{ to: client.address, amount: 1_000_000n * AGPU }],
  });
  feeBps = BigInt(protocol.deployments.parameters.feeBps);
  provider = await protocol.fundedWallet();
  clientWallet = new Wallet(client.privateKey, protocol.provider);
  const asClient = connectContracts(protocol.deployments, clientWallet);
  // The client's grant also pays the provider's stake (the provider is a fresh wallet).
  await (
    await asClient.agpu.transfer(provider.address, BigInt(protocol.deployments.parameters.minStake))
  ).wait();
  await registerAndStake(protocol.deployments, provider, [REGION]);
  await (await asClient.providerRegistry.registerClient()).wait();

  region = await joinedPrivateRegion({
    region: REGION,
    provider,
    pools: [{ pool: 'h100-t', product: 'H100-80GB', gpusPerNode: 4, nodes: 2 }],
  });
  services = await startProtocolServices({
    run,
    deploymentsFile: protocol.deploymentsFile,
    pricingKey: protocol.pricingKey,
    settlerKey: protocol.settlerKey,
    regions: [{ region: REGION, kubeconfig: region.kubeconfig }],
    quoteValiditySeconds: QUOTE_VALIDITY_SECONDS,
  });
  mm = await startMatchmaker({
    pricingAddress: services.pricingGrpc,
    runId: `sp-${run}`,
    extraEnv: { STARMINER_REGIONS: REGION, KUBECONFIG_AP_SOUTH: region.kubeconfig },
    // The fresh contracts' deployment, the one the real services publish in.
    deployment: withScopes(protocol.deployments, protocol.deploymentsFile),
  });
}, 240_000);

afterAll(async () => {
  await mm?.stop();
  await services?.stop();
  region?.delete();
  const db = new Pool({ connectionString: requireStackVar('DATABASE_URL'), max: 1 });
  for (const s of [...(services?.schemas ?? []), `mm_sp_${run}`])
    await db.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
  await db.end();
  protocol?.provider.destroy();
});

describe('settlement path on the real services and chain', () => {
  it('submit, quote by pricing, fund on chain, match, dispatch, kwok run, Succeeded with metered usage, settled: provider credit and client refund exact', async () => {
    const job = await submit(spec(), { runtime: '5s', fail: false, exitCode: 0 });
    expect(job.state).toBe(commonV1.JobState.JOB_STATE_QUOTED);
    expect(job.quote).toMatchObject({ region: REGION, gpuProduct: H100 });
    expect(job.quote!.signer.toLowerCase()).toBe(protocol.pricingKey.address.toLowerCase());
    // The job carries the whole signed quote: tier, coverage and the escrow's EIP-712 domain.
    const q = job.quote!;
    expect(q.escrowTier).toBe(toBytes32(`H100-80GB/${REGION}/normal`));
    expect(BigInt(q.maxGpuSeconds)).toBe(2n * 120n);
    expect(q.maxDuration).toBe('120');
    expect(q.chainId).toBe(String(protocol.deployments.chainId));
    expect(q.escrow.toLowerCase()).toBe(protocol.deployments.contracts.jobEscrow.toLowerCase());
    const before = await snapshot();
    const deposit = await fund(job);

    // The first funding waits longest: the new consumer groups of the matchmaker and of the
    // chain-indexer's signer first read the shared topics' history.
    const running = await waitState(job.jobId, commonV1.JobState.JOB_STATE_RUNNING, 300_000);
    expect(running.placement).toMatchObject({
      region: REGION,
      provider: provider.address.toLowerCase(),
    });
    const succeeded = await waitUntil('job Succeeded or later', async () => {
      const j = await getJob(job.jobId);
      return [commonV1.JobState.JOB_STATE_SUCCEEDED, commonV1.JobState.JOB_STATE_SETTLED].includes(
        j.state,
      )
        ? j
        : undefined;
    });
    // 2 GPUs for the scripted ~5 s run (kwok's timing is whole seconds from start to finish).
    expect(Number(succeeded.gpuSeconds)).toBeGreaterThanOrEqual(2 * 4);
    expect(Number(succeeded.gpuSeconds) % 2).toBe(0);
    await expectSettledExactly(job, deposit, before, 300_000);
  }, 720_000);

  it('a scripted failure: charged only for its metered use, the rest refunded to the client', async () => {
    const job = await submit(spec({ gpu: { product: H100, count: 1, minVramMib: 0 } }), {
      runtime: '3s',
      fail: true,
      exitCode: 3,
    });
    const before = await snapshot();
    const deposit = await fund(job);
    await waitUntil('job Failed or later', async () => {
      const j = await getJob(job.jobId);
      return [commonV1.JobState.JOB_STATE_FAILED, commonV1.JobState.JOB_STATE_SETTLED].includes(
        j.state,
      )
        ? j
        : undefined;
    });
    const settled = await expectSettledExactly(job, deposit, before);
    expect(settled.endReason).toBe('ExitCode');
    expect(BigInt(settled.cost!.baseUnits)).toBeLessThan(deposit);
  });

  it('a cancel while running: charged for the use so far, the unused part refunded', async () => {
    const job = await submit(spec({ gpu: { product: H100, count: 1, minVramMib: 0 } }), {
      runtime: '600s',
      fail: false,
      exitCode: 0,
    });
    const before = await snapshot();
    const deposit = await fund(job);
    await waitState(job.jobId, commonV1.JobState.JOB_STATE_RUNNING);
    await new Promise((r) => setTimeout(r, 3_000));
    await call<matchmakerV1.CancelJobRequest, matchmakerV1.CancelJobResponse>(
      mm!.client.cancelJob.bind(mm!.client),
      { jobId: job.jobId, reason: 'client cancelled' },
    );
    const settled = await expectSettledExactly(job, deposit, before);
    expect(Number(settled.gpuSeconds)).toBeGreaterThan(0);
    expect(BigInt(settled.cost!.baseUnits)).toBeLessThan(deposit / 10n);
  });

  it('a template reference is expanded at submit; bad template parameters are refused field by field and nothing is stored', async () => {
    const job = await submit(
      spec({
        workload: {
          image: '',
          command: [],
          args: [],
          env: {},
          template: { name: 'stable-diffusion', version: '', parametersJson: '{"prompt":"a fox"}' },
        },
        gpu: { product: H100, count: 1, minVramMib: 0 },
      }),
    );
    expect(job.state).toBe(commonV1.JobState.JOB_STATE_QUOTED);
    expect(job.spec!.workload).toMatchObject({
      image: 'ghcr.io/starminer/templates/stable-diffusion:1.0.0',
      env: expect.objectContaining({ SD_PROMPT: 'a fox' }),
      template: { name: 'stable-diffusion', version: '1.0.0' },
    });
    expect(job.spec!.jobClass).toBe(commonV1.JobClass.JOB_CLASS_INFERENCE);

    const listed = async () =>
      (
        await call<matchmakerV1.ListJobsRequest, matchmakerV1.ListJobsResponse>(
          mm!.client.listJobs.bind(mm!.client),
          { clientId: `tenant-${run}`, pageSize: 100, pageToken: '' },
        )
      ).jobs.length;
    const count = await listed();
    const err = await submit(
      spec({
        workload: {
          image: '',
          command: [],
          args: [],
          env: {},
          template: { name: 'stable-diffusion', version: '', parametersJson: '{"steps":0}' },
        },
      }),
    ).catch((e: { code: number; details: string }) => e);
    expect(err).toMatchObject({ code: 3 }); // INVALID_ARGUMENT
    expect((err as { details: string }).details).toContain(
      'spec.workload.template.parameters_json.prompt',
    );
    expect((err as { details: string }).details).toContain(
      'spec.workload.template.parameters_json.steps',
    );
    expect(await listed()).toBe(count);
  });

  it('an unfunded quote expires: the job ends Expired, never placed, and no escrow exists for it', async () => {
    const job = await submit(spec({ gpu: { product: H100, count: 1, minVramMib: 0 } }));
    const expired = await waitState(
      job.jobId,
      commonV1.JobState.JOB_STATE_EXPIRED,
      (QUOTE_VALIDITY_SECONDS + 30) * 1000,
    );
    expect(expired.endReason).toBe('QuoteExpired');
    expect(expired.placement).toBeUndefined();
    expect(await escrowStatus(job.jobId)).toBe(0); // None: never funded
  });
});
