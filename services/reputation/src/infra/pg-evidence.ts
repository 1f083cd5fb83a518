import { quoteSchema, type Tx } from '@starminer/eventing';
import { type Evidence } from '../domain/evidence';
import { type JobFacts } from '../domain/job-outcome';
import { type EvidenceStore } from '../app/ports';

type Queryable = Pick<Tx, 'query'>;

const encode = (e: Evidence): string =>
  JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? { $big: v.toString() } : v));
const decode = (json: unknown): Evidence =>
  JSON.parse(JSON.stringify(json), (_k, v: unknown) =>
    v && typeof v === 'object' && '$big' in v ? BigInt((v as { $big: string }).$big) : v,
  ) as Evidence;

/**
 * Evidence rows, job facts and stakes in the service's schema, through `db`: the consumer's
 * transaction, the epoch runner's, or the pool for queries.
 */
export class PgEvidence implements EvidenceStore {
  private readonly s: string;
  constructor(
    private readonly db: Queryable,
    schema: string,
  ) {
    this.s = quoteSchema(schema);
  }

  async add(evidence: readonly Evidence[]): Promise<void> {
    for (const e of evidence)
      await this.db.query(
        `INSERT INTO ${this.s}.evidence (event_id, kind, provider, pool, at_ms, body)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id, kind) DO NOTHING`,
        [e.eventId, e.kind, e.provider, e.pool ?? null, e.atMs, encode(e)],
      );
  }

  /** A provider's evidence since `fromMs`, in insertion order (so replays sum in the same order). */
  async forProvider(provider: string, fromMs: number): Promise<Evidence[]> {
    const { rows } = await this.db.query<{ body: unknown }>(
      `SELECT body FROM ${this.s}.evidence WHERE provider = $1 AND at_ms >= $2 ORDER BY seq`,
      [provider, fromMs],
    );
    return rows.map((r) => decode(r.body));
  }

  /** Closes the open quarantine of a node; returns its provider and pool if there was one. */
  async closeQuarantine(
    provider: string,
    node: string,
    endMs: number,
  ): Promise<string | undefined> {
    const { rows } = await this.db.query<{ pool: string | null }>(
      `UPDATE ${this.s}.evidence SET body = jsonb_set(body, '{endMs}', to_jsonb($3::bigint))
       WHERE provider = $1 AND kind = 'quarantine' AND body->>'node' = $2 AND NOT (body ? 'endMs')
       RETURNING pool`,
      [provider, node, endMs],
    );
    return rows[0]?.pool ?? undefined;
  }

  /** Removes evidence of events a chain reorg voided; returns the providers touched. */
  async voidEvents(eventIds: readonly string[]): Promise<string[]> {
    if (eventIds.length === 0) return [];
    const { rows } = await this.db.query<{ provider: string }>(
      `DELETE FROM ${this.s}.evidence WHERE event_id = ANY($1::text[]) RETURNING provider`,
      [eventIds],
    );
    return [...new Set(rows.map((r) => r.provider))];
  }

  async job(jobId: string): Promise<JobFacts | undefined> {
    const { rows } = await this.db.query<Record<string, string | number | null>>(
      `SELECT * FROM ${this.s}.jobs WHERE job_id = $1`,
      [jobId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      jobId,
      clientAddress: String(r.client_address),
      gpuCount: Number(r.gpu_count),
      maxDurationSeconds: Number(r.max_duration_seconds),
      estimatedRuntimeSeconds: Number(r.estimated_runtime_seconds),
      dispatchedAtMs: r.dispatched_at_ms === null ? undefined : Number(r.dispatched_at_ms),
      startedAtMs: r.started_at_ms === null ? undefined : Number(r.started_at_ms),
    };
  }

  async saveJob(f: JobFacts): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.s}.jobs VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (job_id) DO UPDATE SET client_address = $2, gpu_count = $3, max_duration_seconds = $4,
         estimated_runtime_seconds = $5, dispatched_at_ms = $6, started_at_ms = $7`,
      [
        f.jobId,
        f.clientAddress,
        f.gpuCount,
        f.maxDurationSeconds,
        f.estimatedRuntimeSeconds,
        f.dispatchedAtMs ?? null,
        f.startedAtMs ?? null,
      ],
    );
  }

  /** Active stake; a log older than the one recorded (same or earlier position) is ignored. */
  async setStake(provider: string, stake: bigint, block: number, logIndex: number): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.s}.stakes VALUES ($1, $2, $3, $4)
       ON CONFLICT (provider) DO UPDATE SET stake = $2, block = $3, log_index = $4
       WHERE (${this.s}.stakes.block, ${this.s}.stakes.log_index) <= ($3, $4)`,
      [provider, stake.toString(), block, logIndex],
    );
  }

  async stakes(): Promise<Map<string, bigint>> {
    const { rows } = await this.db.query<{ provider: string; stake: string }>(
      `SELECT provider, stake FROM ${this.s}.stakes`,
    );
    return new Map(rows.map((r) => [r.provider, BigInt(r.stake)]));
  }
}
