import * as grpc from '@grpc/grpc-js';
import { type commonV1, gatewayV1 } from '@starminer/proto';
import { SdkError, errorFromGrpc } from './errors';
import { type Credentials, type Transport } from './transport';
import {
  JOB_CLASSES,
  URGENCIES,
  type Balances,
  type Job,
  type JobRequest,
  type ListJobsFilter,
  type QuoteResult,
  type TemplateDescription,
  type TemplateSummary,
  type TierPrice,
  type WatchEvent,
} from './types';
import {
  jobClassNumber,
  jobClassOf,
  jobStateNumber,
  toJob,
  toQuoteResult,
  toTierPrices,
  toWatchEvent,
  urgencyNumber,
} from './wire';

export interface GrpcOptions {
  /** host:port of the gateway's gRPC port, e.g. 127.0.0.1:9090 */
  address: string;
  credentials: () => Credentials;
  /** TLS channel credentials; plaintext when omitted (local stack). */
  channel?: grpc.ChannelCredentials;
  timeoutMs?: number;
}

type Unary<Req, Res> = (
  req: Req,
  md: grpc.Metadata,
  opts: Partial<grpc.CallOptions>,
  cb: (e: grpc.ServiceError | null, r?: Res) => void,
) => unknown;

/** Words the proto enums cannot carry are refused here, as the REST gateway would refuse them. */
function checkWords(req: JobRequest): void {
  const fields = [];
  if (req.urgency !== undefined && !URGENCIES.includes(req.urgency))
    fields.push({
      field: 'urgency',
      problem: `is not valid: ${JSON.stringify(req.urgency)}`,
      accepted: `one of ${URGENCIES.join(', ')}`,
    });
  if (req.spec && !JOB_CLASSES.includes(req.spec.jobClass))
    fields.push({
      field: 'spec.jobClass',
      problem: `is not valid: ${JSON.stringify(req.spec.jobClass)}`,
      accepted: `one of ${JOB_CLASSES.join(', ')}`,
    });
  if (fields.length)
    throw new SdkError(
      'INVALID_REQUEST',
      `invalid request: ${fields.map((f) => `${f.field} ${f.problem}`).join('; ')}`,
      fields,
    );
}

/** The job-request fields gateway.v1 shares between Quote's JobRequest and SubmitJob. */
function choices(req: JobRequest) {
  checkWords(req);
  return {
    urgency: urgencyNumber(req.urgency) as commonV1.Urgency,
    regionPreference: req.regionPreference ?? [],
    latency:
      req.latency === undefined
        ? undefined
        : req.latency.mode === 'batch'
          ? { mode: { $case: 'batch' as const, value: {} } }
          : {
              mode: {
                $case: 'interactive' as const,
                value: { clientRegion: req.latency.clientRegion, maxRttMs: req.latency.maxRttMs },
              },
            },
    maxPrice: req.maxPrice ? { baseUnits: req.maxPrice } : undefined,
  };
}

function specOf(req: JobRequest): commonV1.JobSpec | undefined {
  const s = req.spec;
  if (!s) return undefined;
  return {
    workload: {
      image: s.workload.image,
      command: s.workload.command ?? [],
      args: s.workload.args ?? [],
      env: s.workload.env ?? {},
      template: undefined,
    },
    gpu: { product: s.gpu.product ?? '', count: s.gpu.count, minVramMib: s.gpu.minVramMib ?? 0 },
    jobClass: jobClassNumber(s.jobClass) as commonV1.JobClass,
    urgency: urgencyNumber(req.urgency) as commonV1.Urgency,
    latency: choices(req).latency,
    regionPreference: req.regionPreference ?? [],
    maxPrice: req.maxPrice ? { baseUnits: req.maxPrice } : undefined,
    maxDurationSeconds: s.maxDurationSeconds,
  };
}

function templateOf(req: JobRequest) {
  const t = req.template;
  return t
    ? { name: t.name, version: t.version ?? '', parametersJson: JSON.stringify(t.parameters ?? {}) }
    : undefined;
}

/** The gateway's gRPC JobService (proto/starminer/gateway/v1/gateway.proto). */
export class GrpcTransport implements Transport {
  readonly kind = 'grpc' as const;
  private readonly client: gatewayV1.JobServiceClient;

  constructor(private readonly o: GrpcOptions) {
    this.client = new gatewayV1.JobServiceClient(
      o.address,
      o.channel ?? grpc.credentials.createInsecure(),
    );
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    const c = this.o.credentials();
    if ('apiKey' in c && c.apiKey) md.set('x-api-key', c.apiKey);
    if ('sessionToken' in c && c.sessionToken) md.set('authorization', `Bearer ${c.sessionToken}`);
    return md;
  }

  private call<Req, Res>(method: keyof gatewayV1.JobServiceClient, req: Req): Promise<Res> {
    const fn = (this.client[method] as unknown as Unary<Req, Res>).bind(this.client);
    return new Promise((resolve, reject) =>
      fn(
        req,
        this.metadata(),
        { deadline: Date.now() + (this.o.timeoutMs ?? 30_000) },
        (err, res) => (err ? reject(errorFromGrpc(err)) : resolve(res!)),
      ),
    );
  }

  async listTemplates(): Promise<TemplateSummary[]> {
    const res = await this.call<gatewayV1.ListTemplatesRequest, gatewayV1.ListTemplatesResponse>(
      'listTemplates',
      {},
    );
    return res.templates.map((t) => ({ ...t, jobClass: jobClassOf(t.jobClass) }));
  }

  async describeTemplate(name: string, version?: string): Promise<TemplateDescription> {
    const res = await this.call<
      gatewayV1.DescribeTemplateRequest,
      gatewayV1.DescribeTemplateResponse
    >('describeTemplate', { name, version: version ?? '' });
    const t = res.template!;
    return {
      ...t,
      jobClass: jobClassOf(t.jobClass),
      parameters: JSON.parse(res.parametersSchemaJson || '{}') as Record<string, unknown>,
      versions: res.versions,
    };
  }

  async quote(req: JobRequest): Promise<QuoteResult[]> {
    const spec = specOf(req);
    const template = templateOf(req);
    const res = await this.call<gatewayV1.QuoteRequest, gatewayV1.QuoteResponse>('quote', {
      job: {
        source: spec
          ? { $case: 'spec', value: spec }
          : template
            ? { $case: 'template', value: template }
            : undefined,
        ...choices(req),
      },
    });
    return res.quotes.map(toQuoteResult);
  }

  async submit(req: JobRequest & { idempotencyKey: string }): Promise<Job[]> {
    if (req.simulation)
      throw new SdkError(
        'INVALID_REQUEST',
        'simulation is a local-stack feature of the REST transport only',
        [
          {
            field: 'simulation',
            problem: 'is not carried over gRPC',
            accepted: 'the REST transport',
          },
        ],
      );
    const res = await this.call<gatewayV1.SubmitJobRequest, gatewayV1.SubmitJobResponse>(
      'submitJob',
      {
        idempotencyKey: req.idempotencyKey,
        spec: specOf(req),
        quoteId: '',
        template: templateOf(req),
        ...choices(req),
      },
    );
    const jobs = res.jobs.length ? res.jobs : res.job ? [res.job] : [];
    return jobs.map((j) => toJob(j, req.template?.name ?? ''));
  }

  async getJob(jobId: string): Promise<Job> {
    const res = await this.call<gatewayV1.GetJobRequest, gatewayV1.GetJobResponse>('getJob', {
      jobId,
    });
    return toJob(res.job, res.template);
  }

  async listJobs(f: ListJobsFilter): Promise<{ jobs: Job[]; nextPageToken: string }> {
    const res = await this.call<gatewayV1.ListJobsRequest, gatewayV1.ListJobsResponse>('listJobs', {
      pageSize: f.pageSize ?? 0,
      pageToken: f.pageToken ?? '',
      state: (f.state ? jobStateNumber(f.state) : 0) as commonV1.JobState,
      template: f.template ?? '',
      region: f.region ?? '',
    });
    return { jobs: res.jobs.map((j) => toJob(j)), nextPageToken: res.nextPageToken };
  }

  async cancel(jobId: string, reason: string): Promise<Job> {
    const res = await this.call<gatewayV1.CancelJobRequest, gatewayV1.CancelJobResponse>(
      'cancelJob',
      { jobId, reason },
    );
    return toJob(res.job);
  }

  async *watch(jobId: string, signal?: AbortSignal): AsyncIterable<WatchEvent> {
    const stream = this.client.watchJob({ jobId }, this.metadata());
    const onAbort = () => stream.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const m of stream as AsyncIterable<gatewayV1.WatchJobResponse>) {
        const e = toWatchEvent(jobId, m);
        yield e;
        if (e.final) return;
      }
    } catch (err) {
      if ((err as grpc.ServiceError).code === grpc.status.CANCELLED && signal?.aborted) return;
      throw errorFromGrpc(err as grpc.ServiceError);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stream.cancel();
    }
  }

  async balances(): Promise<Balances> {
    const res = await this.call<gatewayV1.GetBalancesRequest, gatewayV1.GetBalancesResponse>(
      'getBalances',
      {},
    );
    return {
      address: res.address,
      agpuBalance: res.agpuBalance?.baseUnits ?? '0',
      escrowed: res.escrowed?.baseUnits ?? '0',
      refunded: res.refunded?.baseUnits ?? '0',
      withdrawable: res.withdrawable?.baseUnits ?? '0',
      fundedJobs: res.fundedJobs,
      asOfBlock: String(res.asOfBlock ?? '0'),
    };
  }

  async priceBook(region?: string): Promise<TierPrice[]> {
    const res = await this.call<gatewayV1.GetPriceBookRequest, gatewayV1.GetPriceBookResponse>(
      'getPriceBook',
      { region: region ?? '' },
    );
    return toTierPrices(res.book);
  }

  close(): void {
    this.client.close();
  }
}
