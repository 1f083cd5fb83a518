import { randomUUID } from 'node:crypto';
import { type Provider, type Signer } from 'ethers';
import { readDeployments, type Deployments } from '@starminer/chain';
import {
  type ApiKeyScope,
  type Session,
  API_KEY_SCOPES,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  signInWithEthereum,
  signOut,
} from './auth';
import {
  chainBalances,
  fundJob,
  settlementOf,
  withdrawCredits,
  type FundResult,
  type Settlement,
} from './chain';
import { SdkError } from './errors';
import { GrpcTransport } from './grpc-transport';
import { RestTransport } from './rest-transport';
import { type Credentials, type Transport } from './transport';
import {
  ENDED_STATES,
  type Balances,
  type Job,
  type JobRequest,
  type JobState,
  type ListJobsFilter,
  type QuoteResult,
  type TemplateDescription,
  type TemplateSummary,
  type TierPrice,
  type WatchEvent,
} from './types';
import { UpdateQueue, isFinal, progressOf } from './watch';

export interface ClientOptions {
  /** REST base URL of the gateway; also used for sign-in and API keys. Default http://127.0.0.1:8080 */
  gatewayUrl?: string;
  /** 'rest' (default) or 'grpc' for the job calls. */
  transport?: 'rest' | 'grpc';
  /** host:port of the gateway's gRPC port, for transport 'grpc'. Default 127.0.0.1:9090 */
  grpcAddress?: string;
  apiKey?: string;
  sessionToken?: string;
  /** The client's wallet: signs in (SIWE), funds escrows, withdraws credits. */
  signer?: Signer;
  /** For chain reads without a signer (balances, settlement lookups). */
  chainProvider?: Provider;
  /** Contract addresses: the deployments object or the path of its file. */
  deployments?: Deployments | string;
  /** Per-call limit of the unary calls, default 30 s. */
  timeoutMs?: number;
  /** Extra attempts of quote and submit after a passing failure (rate limit, unavailable); default 3. */
  retries?: number;
}

export interface SubmitOptions {
  /** Fund every created job's escrow with its signed quote, from `signer`, before returning. */
  fund?: boolean;
  /** 'permit' (default): one transaction; 'approve': approve first when the allowance is short. */
  approval?: 'permit' | 'approve';
}

export interface SubmitResult {
  /** The first (or only) job. */
  job: Job;
  /** Every job created (a render template yields one per chunk of frames). */
  jobs: Job[];
  /** Escrow deposits, one per job, when submitted with `fund: true`. */
  funding: FundResult[];
}

export interface WatchOptions {
  signal?: AbortSignal;
  /** Polls the job this often besides streaming, in case a stream update is lost. Default 5 s. */
  pollIntervalMs?: number;
}

export interface WaitOptions extends WatchOptions {
  /** 'final' (default): settled, cancelled or expired. 'ended': the workload ended. */
  until?: 'final' | 'ended';
  /** Called with every state change, the first being the current state. */
  onProgress?: (e: WatchEvent) => void;
  /** Gives up with SdkError TIMEOUT. */
  timeoutMs?: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/**
 * The StarMiner client: one typed interface over the gateway's REST or gRPC API, with sign-in,
 * escrow funding and payouts through an ethers signer. See docs/sdk.md.
 */
export class StarMinerClient {
  readonly rest: RestTransport;
  readonly transport: Transport;
  private credentials: Credentials;
  private deployments: Deployments | undefined;
  /** Funding transactions of one wallet go one at a time, so their nonces never collide. */
  private fundingChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ClientOptions = {}) {
    this.credentials = o.apiKey
      ? { apiKey: o.apiKey }
      : o.sessionToken
        ? { sessionToken: o.sessionToken }
        : {};
    const credentials = () => this.credentials;
    this.rest = new RestTransport({
      baseUrl: o.gatewayUrl ?? 'http://127.0.0.1:8080',
      credentials,
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    });
    this.transport =
      o.transport === 'grpc'
        ? new GrpcTransport({
            address: o.grpcAddress ?? '127.0.0.1:9090',
            credentials,
            ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
          })
        : this.rest;
    if (typeof o.deployments === 'object') this.deployments = o.deployments;
  }

  // ---- authentication -------------------------------------------------------------------------

  /** Signs in with the signer's wallet (Sign-In with Ethereum); later calls use the session. */
  async signIn(): Promise<Session> {
    const session = await signInWithEthereum(this.rest, this.requireSigner('sign in'));
    this.credentials = { sessionToken: session.token };
    return session;
  }

  async signOut(): Promise<void> {
    await signOut(this.rest);
    this.credentials = {};
  }

  /** Creates an API key (needs a session); `useIt` makes this client use the key from now on. */
  async createApiKey(
    name: string,
    scopes: readonly ApiKeyScope[] = API_KEY_SCOPES,
    useIt = false,
  ): Promise<{ key: string; keyId: string; scopes: ApiKeyScope[] }> {
    const created = await createApiKey(this.rest, name, scopes);
    if (useIt) this.credentials = { apiKey: created.key };
    return created;
  }

  listApiKeys = () => listApiKeys(this.rest);
  revokeApiKey = (keyId: string) => revokeApiKey(this.rest, keyId);

  useApiKey(key: string): void {
    this.credentials = { apiKey: key };
  }

  // ---- jobs -----------------------------------------------------------------------------------

  templates(): Promise<TemplateSummary[]> {
    return this.transport.listTemplates();
  }

  template(name: string, version?: string): Promise<TemplateDescription> {
    return this.transport.describeTemplate(name, version);
  }

  /** Signed price offers for a job request, one result per job it expands to. Creates nothing. */
  quote(req: JobRequest): Promise<QuoteResult[]> {
    return this.retrying(() => this.transport.quote(req));
  }

  /**
   * Submits a job (a template expands to one or more). With `fund: true` every job's escrow is
   * then funded from the signer with the quote the job came back with, so it can be matched.
   */
  async submit(req: JobRequest, opts: SubmitOptions = {}): Promise<SubmitResult> {
    if (opts.fund) this.requireSigner('fund a job');
    // One idempotency key for every attempt: a retried submission never creates a second job.
    const keyed = { ...req, idempotencyKey: req.idempotencyKey ?? randomUUID() };
    const jobs = await this.retrying(() => this.transport.submit(keyed));
    if (!jobs.length) throw new SdkError('INTERNAL', 'the gateway created no job');
    const funding: FundResult[] = [];
    if (opts.fund) for (const job of jobs) funding.push(await this.fund(job, opts.approval));
    return { job: jobs[0]!, jobs, funding };
  }

  /** Funds a quoted job's escrow from the signer (the job's client wallet). */
  fund(job: Job | string, approval: 'permit' | 'approve' = 'permit'): Promise<FundResult> {
    const signer = this.requireSigner('fund a job');
    const run = async () => {
      let j = typeof job === 'string' ? await this.getJob(job) : job;
      if (!j.quote) j = await this.getJob(j.jobId);
      return fundJob(signer, await this.requireDeployments(), j, approval);
    };
    const next = this.fundingChain.then(run, run);
    this.fundingChain = next.catch(() => undefined);
    return next;
  }

  getJob(jobId: string): Promise<Job> {
    return this.transport.getJob(jobId);
  }

  listJobs(filter: ListJobsFilter = {}): Promise<{ jobs: Job[]; nextPageToken: string }> {
    return this.transport.listJobs(filter);
  }

  cancel(jobId: string, reason = ''): Promise<Job> {
    return this.transport.cancel(jobId, reason);
  }

  /**
   * The job's state changes as an async iterator: the current state first, then each change,
   * ending after a final state (settled, cancelled, expired). The gateway's stream is reopened
   * if it drops, and the job is also polled, so no change is missed; each state is yielded once.
   */
  async *watch(jobId: string, o: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const q = new UpdateQueue();
    const stop = new AbortController();
    const onAbort = () => q.end();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    let streaming = true;
    const stream = async () => {
      while (!q.done && streaming) {
        try {
          for await (const e of this.transport.watch(jobId, stop.signal)) q.push(e);
          if (!q.done) await sleep(1_000, stop.signal);
        } catch (err) {
          if (q.done) return;
          if (err instanceof SdkError && err.code === 'RATE_LIMITED') streaming = false;
          else if (err instanceof SdkError && err.retryable) await sleep(2_000, stop.signal);
          else return q.fail(err as Error);
        }
      }
    };
    const poll = async () => {
      while (!q.done) {
        try {
          const job = await this.getJob(jobId);
          q.push({
            jobId,
            eventType: 'Poll',
            state: job.state,
            progressPercent: progressOf(job.state),
            occurredAt: job.updatedAt,
            final: isFinal(job.state),
            job,
          });
        } catch (err) {
          if (!(err instanceof SdkError && err.retryable)) return q.fail(err as Error);
        }
        await sleep(streaming ? (o.pollIntervalMs ?? 5_000) : 2_000, stop.signal);
      }
    };
    void stream();
    const polling = sleep(o.pollIntervalMs ?? 5_000, stop.signal).then(poll);
    try {
      yield* q;
    } finally {
      q.end();
      stop.abort();
      o.signal?.removeEventListener('abort', onAbort);
      await polling.catch(() => undefined);
    }
  }

  /**
   * Waits until the job is final (or its workload ended, with `until: 'ended'`), reporting each
   * state change to `onProgress`; returns the job as it then is.
   */
  async waitFor(jobId: string, o: WaitOptions = {}): Promise<Job> {
    const target: readonly JobState[] =
      o.until === 'ended' ? ENDED_STATES : ['SETTLED', 'CANCELLED', 'EXPIRED'];
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = o.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          ac.abort();
        }, o.timeoutMs)
      : undefined;
    try {
      for await (const e of this.watch(jobId, { ...o, signal: ac.signal })) {
        o.onProgress?.(e);
        if (target.includes(e.state)) return await this.settledRead(jobId, e);
      }
      if (timedOut)
        throw new SdkError('TIMEOUT', `job ${jobId} did not reach ${target.join('/')} in time`);
      throw new SdkError(
        'INTERNAL',
        `watching job ${jobId} ended before it reached ${target.join('/')}`,
      );
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The job as it is once the wait ended; a brief outage is ridden out, else the last update. */
  private async settledRead(jobId: string, last: WatchEvent): Promise<Job> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.getJob(jobId);
      } catch (err) {
        if (!(err instanceof SdkError && err.retryable) || attempt >= 5) {
          if (last.job) return { ...last.job, state: last.state };
          throw err;
        }
        await sleep(1_000);
      }
    }
  }

  // ---- money ----------------------------------------------------------------------------------

  /**
   * The caller's money as the gateway reports it (from the chain-indexer's mirror); with a chain
   * connection, the wallet's AGPU and withdrawable credit are read from the chain itself.
   */
  async balances(): Promise<Balances> {
    const b = await this.transport.balances();
    const runner = this.o.signer ?? this.o.chainProvider;
    if (!runner || !this.o.deployments) return b;
    const c = await chainBalances(runner, await this.requireDeployments(), b.address);
    return { ...b, agpuBalance: c.wallet, withdrawable: c.withdrawable, asOfBlock: 'chain' };
  }

  /** Pulls the signer's JobEscrow credit (provider payouts, client refunds) to its wallet or `to`. */
  async withdraw(to?: string): Promise<{ txHash: string; amount: string }> {
    return withdrawCredits(this.requireSigner('withdraw'), await this.requireDeployments(), to);
  }

  /** How the job's escrow was closed on chain (transaction, payout, refund); undefined while open. */
  async settlement(jobId: string): Promise<Settlement | undefined> {
    const runner = this.o.chainProvider ?? this.o.signer;
    if (!runner)
      throw new SdkError('INVALID_REQUEST', 'reading settlements needs a chainProvider or signer', [
        { field: 'chainProvider', problem: 'is missing', accepted: 'an ethers Provider' },
      ]);
    return settlementOf(runner, await this.requireDeployments(), jobId);
  }

  priceBook(region?: string): Promise<TierPrice[]> {
    return this.transport.priceBook(region);
  }

  close(): void {
    this.transport.close();
  }

  /**
   * Retries a call that failed for a passing reason (rate limit, a service or network briefly
   * unavailable), honouring Retry-After, with backoff: `retries` more attempts (default 3).
   */
  private async retrying<T>(call: () => Promise<T>): Promise<T> {
    const retries = this.o.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof SdkError && err.retryable) || attempt >= retries) throw err;
        const wait = err.details.retryAfterSeconds
          ? err.details.retryAfterSeconds * 1000
          : 1_000 * 2 ** attempt;
        await sleep(Math.min(wait, 30_000));
      }
    }
  }

  private requireSigner(what: string): Signer {
    if (!this.o.signer)
      throw new SdkError('INVALID_REQUEST', `to ${what} the client needs a signer`, [
        { field: 'signer', problem: 'is missing', accepted: 'an ethers Signer of the wallet' },
      ]);
    return this.o.signer;
  }

  private async requireDeployments(): Promise<Deployments> {
    if (this.deployments) return this.deployments;
    if (typeof this.o.deployments !== 'string')
      throw new SdkError('INVALID_REQUEST', 'chain calls need the contracts\u2019 deployments', [
        {
          field: 'deployments',
          problem: 'is missing',
          accepted: 'a Deployments object or the path of deployments.json',
        },
      ]);
    try {
      this.deployments = readDeployments(this.o.deployments);
    } catch (err) {
      throw new SdkError('INVALID_REQUEST', (err as Error).message, [
        { field: 'deployments', problem: 'cannot be read', accepted: 'a deployments.json file' },
      ]);
    }
    return this.deployments;
  }
}
