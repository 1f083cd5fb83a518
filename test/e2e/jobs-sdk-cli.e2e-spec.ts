// The whole system (seven services from their builds, a fresh deployment, GPU nodes of the run's
// staked provider in a private kwok region) driven the way clients drive it: through the SDK
// (REST and gRPC transports) and the `starminer` CLI binary. Every template's main path runs to
// a settlement on chain; a cancel stops a running job; a failing job is charged only for the
// GPU-seconds it used and the rest of its deposit is refunded (a workload's own failure is paid
// for; a node fault, which the public API cannot script, is refunded in full).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { StarMinerClient, type Job, type JobRequest, type JobState } from '@starminer/sdk';
import { requireStackVar } from '@starminer/testing';
import { repoRoot, startSystem, type System } from './support/system';

const run = promisify(execFile);
let sys: System;
let rest: StarMinerClient;
let grpc: StarMinerClient;

beforeAll(async () => {
  // Dev account 19 is this file's client: no other suite transacts with it on the shared chain.
  sys = await startSystem({ clientAccounts: [19], privateRegion: true });
  const common = {
    gatewayUrl: sys.gatewayUrl,
    signer: sys.clients[0]!,
    deployments: sys.protocol.deploymentsFile,
    timeoutMs: 60_000,
    // A loaded machine makes the matchmaker's quote call time out now and then: retry it.
    retries: 10,
  };
  rest = new StarMinerClient(common);
  await rest.signIn();
  grpc = new StarMinerClient({ ...common, transport: 'grpc', grpcAddress: sys.gatewayGrpc });
  await grpc.signIn();
});

afterAll(async () => {
  rest?.close();
  grpc?.close();
  await sys?.stop();
});

/** Follows a job to its final state, recording every state it passed. */
async function follow(c: StarMinerClient, jobId: string): Promise<{ job: Job; seen: JobState[] }> {
  const seen: JobState[] = [];
  const job = await c.waitFor(jobId, {
    onProgress: (e) => {
      if (seen.at(-1) !== e.state) seen.push(e.state);
    },
    pollIntervalMs: 2_000,
    timeoutMs: 300_000,
  });
  return { job, seen };
}

const templates: Array<[string, 'rest' | 'grpc', JobRequest['template']]> = [
  ['stable-diffusion', 'rest', { name: 'stable-diffusion', parameters: { prompt: 'a red fox' } }],
  [
    'llm-finetune',
    'grpc',
    {
      name: 'llm-finetune',
      parameters: { baseModel: 'meta-llama/Llama-3.1-8B', datasetUri: 's3://e2e/data.jsonl' },
    },
  ],
  [
    'unreal-render',
    'rest',
    {
      name: 'unreal-render',
      parameters: { projectUri: 's3://e2e/city.uproject', frameStart: 1, frameEnd: 10 },
    },
  ],
];

describe('main path per template, through the SDK', () => {
  it.each(templates)(
    '%s (%s): quoted, funded, run on a GPU node, settled on chain',
    async (_name, transport, template) => {
      const c = transport === 'rest' ? rest : grpc;
      const submitted = await c.submit(
        {
          template,
          regionPreference: [sys.region],
          // gRPC has no simulation block: its pods run the stack's default (2 s, success).
          ...(transport === 'rest' ? { simulation: { runtime: '3s' } } : {}),
        },
        { fund: true },
      );
      expect(submitted.funding.map((f) => f.jobId)).toEqual(submitted.jobs.map((j) => j.jobId));
      for (const j of submitted.jobs) {
        const { job, seen } = await follow(c, j.jobId);
        expect(job.state).toBe('SETTLED');
        expect(seen).toEqual(expect.arrayContaining(['RUNNING', 'SUCCEEDED', 'SETTLED']));
        expect(job.placement?.region).toBe(sys.region);
        const s = await c.settlement(j.jobId);
        expect(s?.kind).toBe('settled');
        expect(s!.gpuSeconds).toBeGreaterThan(0);
        expect(s!.provider.toLowerCase()).toBe(sys.provider.address.toLowerCase());
        const deposit = BigInt(submitted.funding.find((f) => f.jobId === j.jobId)!.amount);
        expect(BigInt(s!.providerAmount) + BigInt(s!.fee) + BigInt(s!.clientRefund)).toBe(deposit);
      }
    },
  );
});

describe('cancel and failure, through the SDK', () => {
  it('cancels a running job: it stops, and the escrow is closed with the unused deposit back', async () => {
    const submitted = await rest.submit(
      {
        template: templates[0]![2],
        regionPreference: [sys.region],
        simulation: { runtime: '600s' },
      },
      { fund: true },
    );
    const jobId = submitted.job.jobId;
    for await (const e of rest.watch(jobId, { pollIntervalMs: 2_000 }))
      if (e.state === 'RUNNING') break;
    await rest.cancel(jobId, 'e2e: changed my mind');
    const { job, seen } = await follow(rest, jobId);
    expect(seen).toContain('CANCELLED');
    expect(['CANCELLED', 'SETTLED']).toContain(job.state);
    const s = await waitForSettlement(rest, jobId);
    const deposit = BigInt(submitted.funding[0]!.amount);
    expect(BigInt(s.clientRefund)).toBeGreaterThan(0n);
    expect(BigInt(s.clientRefund)).toBeLessThanOrEqual(deposit);
    // A second cancel of the ended job is refused for its state, not as bad input.
    await expect(rest.cancel(jobId, 'again')).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('charges a failing job only for the GPU-seconds it used and refunds the rest', async () => {
    const before = await rest.balances();
    const submitted = await rest.submit(
      {
        template: templates[0]![2],
        regionPreference: [sys.region],
        simulation: { runtime: '2s', fail: true, exitCode: 3 },
      },
      { fund: true },
    );
    const jobId = submitted.job.jobId;
    const { seen } = await follow(rest, jobId);
    expect(seen).toContain('FAILED');
    const s = await waitForSettlement(rest, jobId);
    const deposit = BigInt(submitted.funding[0]!.amount);
    const charged = BigInt(s.providerAmount) + BigInt(s.fee);
    expect(BigInt(s.clientRefund)).toBe(deposit - charged);
    expect(BigInt(s.clientRefund)).toBeGreaterThan(0n);
    expect(charged).toBeLessThan(deposit);
    const after = await rest.balances();
    expect(BigInt(after.withdrawable) - BigInt(before.withdrawable)).toBe(BigInt(s.clientRefund));
  });
});

async function waitForSettlement(c: StarMinerClient, jobId: string) {
  for (let i = 0; i < 150; i++) {
    const s = await c.settlement(jobId);
    if (s) return s;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`job ${jobId} was never settled or refunded on chain`);
}

describe('the CLI binary', () => {
  it('submits, funds and watches a job to its settlement', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        path.join(repoRoot, 'cli/dist/main.js'),
        'submit',
        ...['--template', 'stable-diffusion', '--param', 'prompt=a lighthouse at dusk'],
        ...['--region', sys.region, '--simulate', '3s', '--watch', '--json'],
      ],
      {
        cwd: repoRoot,
        timeout: 300_000,
        env: {
          PATH: process.env.PATH ?? '',
          STARMINER_GATEWAY_URL: sys.gatewayUrl,
          STARMINER_PRIVATE_KEY: sys.clients[0]!.privateKey,
          CHAIN_RPC_URL: requireStackVar('CHAIN_RPC_URL'),
          DEPLOYMENTS_FILE: sys.protocol.deploymentsFile,
        },
      },
    );
    const ids = [
      ...new Set(stdout.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)),
    ];
    expect(ids.length).toBeGreaterThanOrEqual(1);
    const job = await rest.getJob(ids[0]!);
    expect(job.state).toBe('SETTLED');
    expect((await rest.settlement(job.jobId))?.kind).toBe('settled');
  });
});
