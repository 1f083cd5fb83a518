// Test clients of a running gateway: REST (fetch), gRPC JobService (with the error trailers
// decoded) and Sign-In with Ethereum. Shared by the gateway's integration tests and the e2e tests.
import * as grpc from '@grpc/grpc-js';
import { SiweMessage } from 'siwe';
import { gatewayV1 } from '@starminer/proto';

export interface ApiErrorBody {
  error: { code: string; message: string; fields: { field: string; problem: string }[] };
}

export type Creds = { apiKey?: string; token?: string };

export function restClient(base: string) {
  return (path: string, init: RequestInit & { json?: unknown; creds?: Creds } = {}) => {
    const { json, creds, ...rest } = init;
    return fetch(`${base}${path}`, {
      ...rest,
      headers: {
        ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(creds?.apiKey ? { 'x-api-key': creds.apiKey } : {}),
        ...(creds?.token ? { authorization: `Bearer ${creds.token}` } : {}),
        ...(rest.headers as object),
      },
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  };
}

export function metadataOf(creds: Creds): grpc.Metadata {
  const md = new grpc.Metadata();
  if (creds.apiKey) md.set('x-api-key', creds.apiKey);
  if (creds.token) md.set('authorization', `Bearer ${creds.token}`);
  return md;
}

export type GrpcResult<Res> =
  | { ok: true; res: Res }
  | { ok: false; code: grpc.status; details: string; body?: ApiErrorBody; retryAfter?: string };

function failure(err: grpc.ServiceError): GrpcResult<never> {
  const raw = err.metadata?.get('x-error-json')[0];
  const retry = err.metadata?.get('retry-after')[0];
  return {
    ok: false,
    code: err.code,
    details: err.details,
    body: typeof raw === 'string' ? (JSON.parse(raw) as ApiErrorBody) : undefined,
    retryAfter: typeof retry === 'string' ? retry : undefined,
  };
}

/** Request and response types of each unary JobService method. */
interface Unaries {
  listTemplates: [gatewayV1.ListTemplatesRequest, gatewayV1.ListTemplatesResponse];
  describeTemplate: [gatewayV1.DescribeTemplateRequest, gatewayV1.DescribeTemplateResponse];
  quote: [gatewayV1.QuoteRequest, gatewayV1.QuoteResponse];
  submitJob: [gatewayV1.SubmitJobRequest, gatewayV1.SubmitJobResponse];
  getJob: [gatewayV1.GetJobRequest, gatewayV1.GetJobResponse];
  listJobs: [gatewayV1.ListJobsRequest, gatewayV1.ListJobsResponse];
  cancelJob: [gatewayV1.CancelJobRequest, gatewayV1.CancelJobResponse];
  getBalances: [gatewayV1.GetBalancesRequest, gatewayV1.GetBalancesResponse];
  getPriceBook: [gatewayV1.GetPriceBookRequest, gatewayV1.GetPriceBookResponse];
}
type UnaryMethods = keyof Unaries;

/** Request builders: ts-proto encodes only complete messages, so every request is filled in. */
const REQUESTS: { [M in UnaryMethods]: { fromPartial(o: object): Unaries[M][0] } } = {
  listTemplates: gatewayV1.ListTemplatesRequest,
  describeTemplate: gatewayV1.DescribeTemplateRequest,
  quote: gatewayV1.QuoteRequest,
  submitJob: gatewayV1.SubmitJobRequest,
  getJob: gatewayV1.GetJobRequest,
  listJobs: gatewayV1.ListJobsRequest,
  cancelJob: gatewayV1.CancelJobRequest,
  getBalances: gatewayV1.GetBalancesRequest,
  getPriceBook: gatewayV1.GetPriceBookRequest,
};

/** The gateway's gRPC JobService with promise-returning calls that never throw for a status. */
export class GrpcJobClient {
  readonly raw: gatewayV1.JobServiceClient;

  constructor(address: string) {
    this.raw = new gatewayV1.JobServiceClient(address, grpc.credentials.createInsecure());
  }

  call<M extends UnaryMethods>(
    method: M,
    req: Partial<Unaries[M][0]> | Record<string, unknown>,
    creds: Creds = {},
  ): Promise<GrpcResult<Unaries[M][1]>> {
    const fn = (this.raw as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!.bind(
      this.raw,
    );
    return new Promise((resolve) =>
      fn(
        REQUESTS[method].fromPartial(req),
        metadataOf(creds),
        { deadline: Date.now() + 15_000 },
        (err: grpc.ServiceError | null, res: Unaries[M][1]) =>
          resolve(err ? failure(err) : { ok: true, res }),
      ),
    );
  }

  /** Reads a WatchJob stream until it ends (or `max` messages), or its error status. */
  watch(
    jobId: string,
    creds: Creds,
    opts: {
      max?: number;
      timeoutMs?: number;
      onMessage?: (m: gatewayV1.WatchJobResponse) => void;
    } = {},
  ): Promise<{ messages: gatewayV1.WatchJobResponse[]; error?: GrpcResult<never> }> {
    const messages: gatewayV1.WatchJobResponse[] = [];
    const stream = this.raw.watchJob(
      gatewayV1.WatchJobRequest.fromPartial({ jobId }),
      metadataOf(creds),
      {
        deadline: Date.now() + (opts.timeoutMs ?? 60_000),
      },
    );
    return new Promise((resolve) => {
      let done = false;
      const finish = (error?: GrpcResult<never>) => {
        if (done) return;
        done = true;
        resolve({ messages, error });
      };
      stream.on('data', (m: gatewayV1.WatchJobResponse) => {
        messages.push(m);
        opts.onMessage?.(m);
        if (opts.max && messages.length >= opts.max) {
          stream.cancel();
          finish();
        }
      });
      stream.on('error', (err: grpc.ServiceError) =>
        finish(err.code === grpc.status.CANCELLED ? undefined : failure(err)),
      );
      stream.on('end', () => finish());
    });
  }

  close(): void {
    this.raw.close();
  }
}

/** A SIWE message for `address` with a fresh nonce from the gateway. */
export async function siweMessage(
  base: string,
  domain: string,
  address: string,
  over: Partial<Record<string, unknown>> = {},
): Promise<string> {
  const res = await fetch(`${base}/v1/auth/siwe/nonce`, { method: 'POST' });
  const { nonce } = (await res.json()) as { nonce: string };
  return new SiweMessage({
    domain,
    address,
    uri: `https://${domain}`,
    version: '1',
    chainId: 31337,
    nonce,
    issuedAt: new Date().toISOString(),
    statement: 'Sign in to StarMiner',
    ...over,
  }).prepareMessage();
}

export async function verifySiwe(
  base: string,
  message: string,
  signature: string,
): Promise<Response> {
  return fetch(`${base}/v1/auth/siwe/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message, signature }),
  });
}

/** Signs in a wallet and returns its session token; throws when the gateway refuses. */
export async function signIn(
  base: string,
  domain: string,
  wallet: { address: string; signMessage(m: string): Promise<string> },
): Promise<string> {
  const message = await siweMessage(base, domain, wallet.address);
  const res = await verifySiwe(base, message, await wallet.signMessage(message));
  if (res.status !== 200) throw new Error(`sign-in refused: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Creates an API key from a session. */
export async function createApiKey(
  base: string,
  token: string,
  scopes: string[],
  name = 'test',
): Promise<string> {
  const res = await restClient(base)('/v1/api-keys', {
    method: 'POST',
    creds: { token },
    json: { name, scopes },
  });
  if (res.status !== 201) throw new Error(`key refused: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/** One message of a job's SSE stream (GET /v1/jobs/{id}/events). */
export interface SseMessage {
  eventType: string;
  state: string;
  progressPercent: number;
  occurredAt: string;
  final: boolean;
}

/** Reads a job's SSE stream message by message (the JSON of each `data:` line). */
export class SseReader {
  readonly messages: SseMessage[] = [];
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private ended = false;

  constructor(res: Response) {
    this.reader = res.body!.getReader();
  }

  /** Reads until `done` holds for the messages so far; throws if the stream ends before. */
  async until(what: string, done: (messages: SseMessage[]) => boolean): Promise<SseMessage[]> {
    while (!done(this.messages)) {
      if (this.ended)
        throw new Error(
          `the SSE stream ended before ${what}: ${JSON.stringify(this.messages.map((m) => m.eventType))}`,
        );
      const { value, done: ended } = await this.reader.read();
      if (ended) this.ended = true;
      else this.buffer += this.decoder.decode(value, { stream: true });
      for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) this.messages.push(JSON.parse(data.slice('data: '.length)) as SseMessage);
      }
    }
    return this.messages;
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

/**
 * `starminer_events_refused_total` of one consumer group on a service's /metrics, by
 * `topic/reason` (e.g. `starminer.job.v1/foreign_deployment`).
 */
export async function refusedEvents(base: string, group: string): Promise<Record<string, number>> {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const out: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^starminer_events_refused_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k!, v!]),
    );
    if (labels.group === group) out[`${labels.topic}/${labels.reason}`] = Number(m[2]);
  }
  return out;
}
