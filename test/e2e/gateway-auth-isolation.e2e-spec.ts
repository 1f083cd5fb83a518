// The whole system (seven services from their builds, a fresh deployment): Sign-In with Ethereum
// refuses a replayed and an expired message, and tenant B can neither see nor cancel tenant A's
// job on any endpoint of the REST or the gRPC API, while A can.
import * as grpc from '@grpc/grpc-js';
import { Wallet } from 'ethers';
import { commonV1 } from '@starminer/proto';
import { waitUntil } from '@starminer/testing';
import {
  GrpcJobClient,
  restClient,
  sdJob,
  signIn,
  siweMessage,
  verifySiwe,
  type ApiErrorBody,
} from './support/clients';
import { startSystem, type System } from './support/system';

let sys: System;
let rpc: GrpcJobClient;
let http: ReturnType<typeof restClient>;

beforeAll(async () => {
  // Tenants only sign in here: fresh wallets, no chain transactions.
  sys = await startSystem({ clientAccounts: [] });
  http = restClient(sys.gatewayUrl);
  rpc = new GrpcJobClient(sys.gatewayGrpc);
});

afterAll(async () => {
  rpc?.close();
  await sys?.stop();
});

describe('Sign-In with Ethereum', () => {
  it('signs in once; the same signed message again is refused (replay)', async () => {
    const wallet = Wallet.createRandom();
    const message = await siweMessage(sys.gatewayUrl, sys.siweDomain, wallet.address);
    const signature = await wallet.signMessage(message);
    const first = await verifySiwe(sys.gatewayUrl, message, signature);
    expect(first.status).toBe(200);
    const { token } = (await first.json()) as { token: string };
    expect((await http('/v1/jobs', { creds: { token } })).status).toBe(200);

    const replay = await verifySiwe(sys.gatewayUrl, message, signature);
    expect(replay.status).toBe(401);
    const body = (await replay.json()) as ApiErrorBody;
    expect(body.error.code).toBe('UNAUTHENTICATED');
    expect(body.error.message).toContain('nonce');
  });

  it('refuses an expired message, a message for another domain and a message signed by another key', async () => {
    const wallet = Wallet.createRandom();
    const refused = async (over: Record<string, unknown>, signer = wallet) => {
      const message = await siweMessage(sys.gatewayUrl, sys.siweDomain, wallet.address, over);
      const res = await verifySiwe(sys.gatewayUrl, message, await signer.signMessage(message));
      return { status: res.status, body: (await res.json()) as ApiErrorBody };
    };
    const expired = await refused({
      issuedAt: new Date(Date.now() - 120_000).toISOString(),
      expirationTime: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toContain('expired');
    const otherDomain = await refused({ domain: 'evil.example' });
    expect(otherDomain.status).toBe(401);
    expect(otherDomain.body.error.message).toContain('domain');
    const otherKey = await refused({}, Wallet.createRandom());
    expect(otherKey.status).toBe(401);
    // None of them opened a session: a well-formed sign-in afterwards still works.
    expect(await signIn(sys.gatewayUrl, sys.siweDomain, wallet)).toMatch(/^sms_/);
  });
});

describe('tenant isolation', () => {
  it("B gets NOT_FOUND for A's job on every REST and gRPC endpoint and cannot cancel it; A can", async () => {
    const tokenA = await signIn(sys.gatewayUrl, sys.siweDomain, Wallet.createRandom());
    const tokenB = await signIn(sys.gatewayUrl, sys.siweDomain, Wallet.createRandom());
    const created = await http('/v1/jobs', {
      method: 'POST',
      creds: { token: tokenA },
      json: sdJob(),
    });
    const body = await created.text();
    if (created.status !== 201) throw new Error(`submit refused: ${created.status} ${body}`);
    const { job } = JSON.parse(body) as { job: { jobId: string } };
    const jobId = job.jobId;

    const rest: Array<[string, string]> = [
      ['GET', `/v1/jobs/${jobId}`],
      ['POST', `/v1/jobs/${jobId}/cancel`],
      ['GET', `/v1/jobs/${jobId}/events`],
    ];
    for (const [method, path] of rest) {
      const res = await http(path, { method, creds: { token: tokenB } });
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect(((await res.json()) as ApiErrorBody).error.code).toBe('NOT_FOUND');
      // A job that does not exist answers exactly the same.
      const none = await http(path.replace(jobId, '00000000-0000-4000-8000-000000000000'), {
        method,
        creds: { token: tokenB },
      });
      expect(none.status).toBe(404);
    }
    for (const method of ['getJob', 'cancelJob'] as const) {
      const r = await rpc.call(method, { jobId }, { token: tokenB });
      expect([method, r.ok ? 'ok' : r.code]).toEqual([method, grpc.status.NOT_FOUND]);
      expect(!r.ok && r.body?.error.code).toBe('NOT_FOUND');
    }
    const watchB = await rpc.watch(jobId, { token: tokenB });
    expect(watchB.messages).toEqual([]);
    expect(watchB.error).toMatchObject({ code: grpc.status.NOT_FOUND });

    // Lists: B's are empty over both APIs; A's holds the job.
    const listB = (await (await http('/v1/jobs', { creds: { token: tokenB } })).json()) as {
      jobs: unknown[];
    };
    expect(listB.jobs).toEqual([]);
    const listBGrpc = await rpc.call('listJobs', {}, { token: tokenB });
    expect(listBGrpc.ok && listBGrpc.res.jobs).toEqual([]);
    const listA = await rpc.call('listJobs', {}, { token: tokenA });
    expect(listA.ok && listA.res.jobs.map((j) => j.jobId)).toEqual([jobId]);

    // B's cancel attempts changed nothing: A still sees it alive, then cancels it over gRPC.
    const seen = await rpc.call('getJob', { jobId }, { token: tokenA });
    if (!seen.ok) throw new Error(seen.details);
    expect(seen.res.job?.state).not.toBe(commonV1.JobState.JOB_STATE_CANCELLED);
    expect(seen.res.template).toBe('stable-diffusion');
    const cancelled = await rpc.call('cancelJob', { jobId, reason: 'e2e' }, { token: tokenA });
    expect(cancelled.ok).toBe(true);
    await waitUntil('the job to be cancelled', async () => {
      const r = await rpc.call('getJob', { jobId }, { token: tokenA });
      return r.ok && r.res.job?.state === commonV1.JobState.JOB_STATE_CANCELLED ? true : undefined;
    });
  });
});
