import { SdkError, errorFromBody } from './errors';
import { SseParser } from './sse';
import { type Credentials, type Transport } from './transport';
import {
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
import { toJob, toQuoteResult, toTierPrices, toWatchEvent } from './wire';

export interface RestOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  credentials: () => Credentials;
  /** Per-request limit for non-streaming calls; default 30 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The body POST /v1/jobs and /v1/quotes accept (docs/gateway.md). */
export function restJobBody(req: JobRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (req.template)
    body.template = {
      name: req.template.name,
      ...(req.template.version ? { version: req.template.version } : {}),
      parameters: req.template.parameters ?? {},
    };
  if (req.spec) body.spec = req.spec;
  if (req.urgency) body.urgency = req.urgency;
  if (req.regionPreference?.length) body.regionPreference = req.regionPreference;
  if (req.latency) body.latency = req.latency;
  if (req.maxPrice) body.maxPrice = req.maxPrice;
  if (req.idempotencyKey) body.idempotencyKey = req.idempotencyKey;
  if (req.simulation) body.simulation = req.simulation;
  return body;
}

/** The gateway's REST API over fetch (Node 20+). */
export class RestTransport implements Transport {
  readonly kind = 'rest' as const;
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly o: RestOptions) {
    this.base = o.baseUrl.replace(/\/+$/, '');
    this.fetch = o.fetch ?? fetch;
  }

  private headers(json: boolean): Record<string, string> {
    const c = this.o.credentials();
    const h: Record<string, string> = { accept: 'application/json' };
    if (json) h['content-type'] = 'application/json';
    if ('apiKey' in c && c.apiKey) h['x-api-key'] = c.apiKey;
    if ('sessionToken' in c && c.sessionToken) h.authorization = `Bearer ${c.sessionToken}`;
    return h;
  }

  private async open(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    accept?: string,
  ): Promise<Response> {
    const headers = this.headers(body !== undefined);
    if (accept) headers.accept = accept;
    let res: Response;
    try {
      res = await this.fetch(`${this.base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted && (signal.reason as { name?: string })?.name !== 'TimeoutError')
        throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new SdkError(
        'UNREACHABLE',
        `gateway ${this.base} unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      );
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let parsed: unknown = undefined;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not the gateway's JSON (a proxy's page): the status code decides.
      }
      throw errorFromBody(res.status, parsed, res.headers.get('retry-after'));
    }
    return res;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.open(
      method,
      path,
      body,
      AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
    );
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  async listTemplates(): Promise<TemplateSummary[]> {
    return (await this.request<{ templates: TemplateSummary[] }>('GET', '/v1/templates')).templates;
  }

  describeTemplate(name: string, version?: string): Promise<TemplateDescription> {
    const q = version ? `?version=${encodeURIComponent(version)}` : '';
    return this.request('GET', `/v1/templates/${encodeURIComponent(name)}${q}`);
  }

  async quote(req: JobRequest): Promise<QuoteResult[]> {
    const res = await this.request<{ quotes: unknown[] }>('POST', '/v1/quotes', restJobBody(req));
    return res.quotes.map(toQuoteResult);
  }

  async submit(req: JobRequest & { idempotencyKey: string }): Promise<Job[]> {
    const res = await this.request<{ jobs: unknown[] }>('POST', '/v1/jobs', restJobBody(req));
    const template = req.template?.name ?? '';
    return res.jobs.map((j) => toJob(j, template));
  }

  async getJob(jobId: string): Promise<Job> {
    const res = await this.request<{ job: unknown; template?: string }>(
      'GET',
      `/v1/jobs/${encodeURIComponent(jobId)}`,
    );
    return toJob(res.job, res.template ?? '');
  }

  async listJobs(f: ListJobsFilter): Promise<{ jobs: Job[]; nextPageToken: string }> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== '') q.set(k, String(v));
    const res = await this.request<{ jobs: unknown[]; nextPageToken: string }>(
      'GET',
      `/v1/jobs${q.size ? `?${q}` : ''}`,
    );
    return { jobs: res.jobs.map((j) => toJob(j)), nextPageToken: res.nextPageToken ?? '' };
  }

  async cancel(jobId: string, reason: string): Promise<Job> {
    const res = await this.request<{ job: unknown }>(
      'POST',
      `/v1/jobs/${encodeURIComponent(jobId)}/cancel`,
      { reason },
    );
    return toJob(res.job);
  }

  async *watch(jobId: string, signal?: AbortSignal): AsyncIterable<WatchEvent> {
    const res = await this.open(
      'GET',
      `/v1/jobs/${encodeURIComponent(jobId)}/events`,
      undefined,
      signal,
      'text/event-stream',
    );
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        for (const m of parser.push(decoder.decode(value, { stream: true }))) {
          if (m.event !== 'state') continue;
          const e = toWatchEvent(jobId, JSON.parse(m.data));
          yield e;
          if (e.final) return;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  async balances(): Promise<Balances> {
    const b = await this.request<Record<string, unknown>>('GET', '/v1/balances');
    const s = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '0');
    return {
      address: String(b.address ?? ''),
      agpuBalance: s(b.agpuBalance),
      escrowed: s(b.escrowed),
      refunded: s(b.refunded),
      withdrawable: s(b.withdrawable),
      fundedJobs: Number(b.fundedJobs ?? 0),
      asOfBlock: s(b.asOfBlock),
    };
  }

  async priceBook(region?: string): Promise<TierPrice[]> {
    const q = region ? `?region=${encodeURIComponent(region)}` : '';
    return toTierPrices(await this.request('GET', `/v1/price-book${q}`));
  }

  close(): void {
    // fetch keeps no connection state of its own to release.
  }
}
