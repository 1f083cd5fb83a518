import * as grpc from '@grpc/grpc-js';
import { reputationV1 } from '@starminer/proto';
import { type Clock, type JsonLogger, systemClock } from '@starminer/service-kit';
import { type ReputationPort } from '../../app/ports';

export interface GrpcReputationOptions {
  /** host:port of the reputation service's gRPC API. */
  address: string;
  /** How long a fetched score list is used before it is fetched again. */
  ttlMs: number;
  /** Deadline of one ListScores page. */
  callTimeoutMs?: number;
  logger: JsonLogger;
  /** When the cached scores were loaded and go stale; the system clock by default. */
  clock?: Clock;
}

const PAGE_SIZE = 500;
/** Upper bound on pages per refresh, so a misbehaving server cannot loop us forever. */
const MAX_PAGES = 1_000;

/**
 * ReputationPort over the reputation service's ListScores (provider scores, paged). Scores are
 * cached for `ttlMs`, so a match tick reads memory, not the network. Matching never waits on
 * the reputation service once scores were loaded: a stale cache is returned at once while a
 * refresh runs in the background. Before the first successful load a tick waits at most one
 * call deadline. On an outage the last known scores stay in use; providers never scored are
 * absent, which the matching domain treats as its neutral reputation.
 *
 * A provider the reputation service marks `excluded` (below its exclusion threshold) maps to
 * 0, below any reputation floor of the matching weights, so the service's threshold is the one
 * that excludes; any other provider maps to score_bps / 10000, the soft score.
 */
export class GrpcReputation implements ReputationPort {
  private readonly client: reputationV1.ReputationServiceClient;
  private readonly clock: Clock;
  private cache: ReadonlyMap<string, number> = new Map();
  private loadedAt: number | undefined;
  private attemptedAt: number | undefined;
  private refreshing: Promise<void> | undefined;
  private failing = false;

  constructor(private readonly o: GrpcReputationOptions) {
    this.client = new reputationV1.ReputationServiceClient(
      o.address,
      grpc.credentials.createInsecure(),
    );
    this.clock = o.clock ?? systemClock;
  }

  async scores(): Promise<ReadonlyMap<string, number>> {
    const t = this.clock.nowMs();
    const stale = this.attemptedAt === undefined || t - this.attemptedAt >= this.o.ttlMs;
    if (stale && !this.refreshing) {
      this.attemptedAt = t;
      this.refreshing = this.refresh().finally(() => (this.refreshing = undefined));
    }
    // Never loaded: wait for this refresh (bounded by the call deadline); else serve the cache.
    if (this.loadedAt === undefined && this.refreshing) await this.refreshing;
    return this.cache;
  }

  /** Instant (ms) of the last successful load, undefined before the first. */
  get lastLoadedAt(): number | undefined {
    return this.loadedAt;
  }

  private async refresh(): Promise<void> {
    try {
      const next = new Map<string, number>();
      let pageToken = '';
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await this.listPage(pageToken);
        for (const s of res.scores) {
          next.set(s.provider.toLowerCase(), s.excluded ? 0 : s.scoreBps / 10_000);
        }
        pageToken = res.nextPageToken;
        if (!pageToken) break;
      }
      this.cache = next;
      this.loadedAt = this.clock.nowMs();
      if (this.failing)
        this.o.logger.info('reputation scores available again', { providers: next.size });
      this.failing = false;
    } catch (err) {
      // Logged once per outage; matching goes on with the last known scores.
      if (!this.failing)
        this.o.logger.warn('reputation scores unavailable; matching with the last known scores', {
          address: this.o.address,
          error: (err as Error).message,
          knownProviders: this.cache.size,
        });
      this.failing = true;
    }
  }

  private listPage(pageToken: string): Promise<reputationV1.ListScoresResponse> {
    return new Promise((resolve, reject) =>
      this.client.listScores(
        {
          pageSize: PAGE_SIZE,
          pageToken,
          sortBy: reputationV1.ScoreSortField.SCORE_SORT_FIELD_PROVIDER,
          reverse: false,
          pools: false,
          provider: '',
        },
        new grpc.Metadata(),
        { deadline: Date.now() + (this.o.callTimeoutMs ?? 2_000) },
        (err, r) => (err ? reject(err) : resolve(r!)),
      ),
    );
  }

  close(): void {
    this.client.close();
  }
}
