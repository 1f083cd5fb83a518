import { type ReputationModel } from '../../domain/model-config';
import { computeScore, horizonStartMs, type Contribution } from '../../domain/score';
import { type EvidenceReader, type ScoreReader, type SortField, type StoredScore } from '../ports';

export class ScoreQueryError extends Error {}

export interface ScoreView extends StoredScore {
  excluded: boolean;
  stake: bigint;
}

const ADDRESS = /^0x[0-9a-f]{40}$/;
const POOL = /^[^/\s]+\/[^/\s]+$/;

function provider(raw: string): string {
  const p = raw.trim().toLowerCase();
  if (!ADDRESS.test(p))
    throw new ScoreQueryError(
      `provider: ${JSON.stringify(raw)} is not accepted; expected a 0x-prefixed 20-byte hex address`,
    );
  return p;
}
function pool(raw: string): string {
  if (raw !== '' && !POOL.test(raw))
    throw new ScoreQueryError(
      `pool: ${JSON.stringify(raw)} is not accepted; expected "<region>/<pool>" or empty`,
    );
  return raw;
}

/** The value a page token resumes after, as the store compares it. */
function sortValue(score: StoredScore, sort: SortField): string {
  return sort === 'score'
    ? String(score.scoreBps)
    : sort === 'provider'
      ? score.provider
      : String(score.asOfMs);
}

/** Reads of scores: current score, sorted pages, and explanations with their evidence. */
export class ScoreQueries {
  constructor(
    private readonly scores: ScoreReader,
    private readonly evidence: EvidenceReader,
    private readonly model: ReputationModel,
  ) {}

  private async view(s: StoredScore): Promise<ScoreView> {
    const stakes = await this.evidence.stakes();
    return {
      ...s,
      excluded: s.scoreBps < this.model.exclusionThresholdBps,
      stake: stakes.get(s.provider) ?? 0n,
    };
  }

  /** A provider (or pool) without evidence has the newcomer score: the prior mean. */
  async get(rawProvider: string, rawPool = ''): Promise<ScoreView> {
    const p = provider(rawProvider);
    const pl = pool(rawPool);
    const stored = await this.scores.get(p, pl);
    if (stored) return this.view(stored);
    const { contributions: _c, ...b } = computeScore([], 0, this.model);
    return this.view({ provider: p, pool: pl, scoreBps: b.scoreBps, asOfMs: 0, breakdown: b });
  }

  async list(q: {
    pageSize: number;
    pageToken: string;
    sort: SortField;
    reverse: boolean;
    pools: boolean;
    provider: string;
  }): Promise<{ scores: ScoreView[]; nextPageToken: string }> {
    if (q.pageSize > 500)
      throw new ScoreQueryError(
        `page_size: ${q.pageSize} is not accepted; expected 1..500 (0 means 50)`,
      );
    const limit = q.pageSize || 50;
    const descending = (q.sort !== 'provider') !== q.reverse;
    let after: { value: string; provider: string; pool: string } | undefined;
    if (q.pageToken) {
      try {
        const t = JSON.parse(Buffer.from(q.pageToken, 'base64url').toString()) as Record<
          string,
          unknown
        >;
        if (
          t.sort !== q.sort ||
          t.descending !== descending ||
          typeof t.value !== 'string' ||
          typeof t.provider !== 'string' ||
          typeof t.pool !== 'string'
        )
          throw new Error();
        after = { value: t.value, provider: t.provider, pool: t.pool };
      } catch {
        throw new ScoreQueryError(
          'page_token: not a token from a previous ListScores with the same sort; omit it to start over',
        );
      }
    }
    const rows = await this.scores.list({
      pools: q.pools,
      provider: q.provider ? provider(q.provider) : undefined,
      sort: q.sort,
      descending,
      limit: limit + 1,
      after,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextPageToken =
      rows.length > limit && last
        ? Buffer.from(
            JSON.stringify({
              sort: q.sort,
              descending,
              value: sortValue(last, q.sort),
              provider: last.provider,
              pool: last.pool,
            }),
          ).toString('base64url')
        : '';
    return { scores: await Promise.all(page.map((s) => this.view(s))), nextPageToken };
  }

  /** Recomputes the stored score from its evidence (same time, same order: same number). */
  async explain(
    rawProvider: string,
    rawPool: string,
    limit: number,
  ): Promise<{ score: ScoreView; contributions: Contribution[]; total: number; formula: string }> {
    if (limit > 1000)
      throw new ScoreQueryError(`evidence_limit: ${limit} is not accepted; expected 0..1000`);
    const score = await this.get(rawProvider, rawPool);
    const all = await this.evidence.forProvider(
      score.provider,
      horizonStartMs(score.asOfMs, this.model),
    );
    const ev =
      score.pool === ''
        ? all
        : all.filter((e) => e.pool === score.pool || (e.kind === 'slash' && !e.pool));
    const b = computeScore(ev, score.asOfMs, this.model);
    const m = this.model;
    const f = (x: number) => x.toFixed(4);
    const formula =
      `reliability = (${m.priorSuccesses} + S) / (${m.priorSuccesses + m.priorFailures} + S + F) = (${m.priorSuccesses} + ${f(b.successWeight)}) / (${m.priorSuccesses + m.priorFailures} + ${f(b.successWeight)} + ${f(b.faultWeight)}) = ${f(b.reliability)}; ` +
      `aux = mean(startup ${f(b.startup)}, runtime ${f(b.runtime)}, availability ${f(b.availability)}) = ${f(b.aux)}; ` +
      `score = ${f(b.reliability)} x (1 - ${m.auxWeight} x (1 - ${f(b.aux)})) x slash ${f(b.slashFactor)} = ${b.scoreBps} bps (model ${m.name})`;
    const recent = [...b.contributions].reverse().slice(0, limit || 100);
    return { score, contributions: recent, total: b.contributions.length, formula };
  }
}
