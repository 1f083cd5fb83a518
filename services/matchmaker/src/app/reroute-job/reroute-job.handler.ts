import { resolveGpuClass } from '@starminer/gpu-catalogue';
import { type Clock, type RegionsFile } from '@starminer/service-kit';
import { type JobState } from '../../domain/job-state';
import { CommandRejectedError } from '../../domain/errors';
import { JobNotFoundError } from '../errors';
import { type JobStore, type MarketReads } from '../ports';
import { placementDeadline } from '../match-queue/urgency-deadlines';

/**
 * Reroute (from spillover): a waiting job (Overflowed, or Queued in a saturated or unreachable
 * region) moves to another region within its latency budget and its funded quote. The proposal
 * names the version it was made at; a job that changed since is refused so spillover re-plans.
 */
export class RerouteJobHandler {
  constructor(
    private readonly jobs: JobStore,
    private readonly regions: RegionsFile,
    private readonly clock: Clock,
    private readonly market: MarketReads,
  ) {}

  /** Published price of a tier (PriceUpdated), token base units per GPU-second; undefined if none. */
  private async tierPrice(
    product: string,
    region: string,
    urgency: number,
  ): Promise<bigint | undefined> {
    // Tiers are named by GPU class; the price may carry another label of the same class.
    const prices = await this.market.pricesIn(region, urgency);
    return prices.find((p) => resolveGpuClass(p.product) === resolveGpuClass(product))?.price;
  }

  async execute(
    jobId: string,
    toRegion: string,
    expectedVersion: number,
    proposalId: string,
  ): Promise<JobState> {
    if (!this.regions.regions.includes(toRegion))
      throw new CommandRejectedError(
        `target_region "${toRegion}" is not a region; accepted: ${this.regions.regions.join(', ')}`,
      );
    const { state: before, version } = await this.jobs.load(jobId);
    if (version === 0) throw new JobNotFoundError(jobId);
    const tierPrice = before.quote
      ? await this.tierPrice(before.quote.gpuProduct, toRegion, before.spec?.urgency ?? 2)
      : undefined;
    const r = await this.jobs.execute(jobId, (state, current) => {
      const mode = state.spec?.latency?.mode;
      return {
        type: 'Reroute',
        proposalId,
        toRegion,
        expectedVersion,
        currentVersion: current,
        rttMs:
          mode?.$case === 'interactive' ? this.regions.rttMs(mode.value.clientRegion, toRegion) : 0,
        tierPrice,
        placementDeadline: placementDeadline(this.clock.now(), state.spec?.urgency ?? 2),
      };
    });
    return r.state;
  }

  /** Records why a waiting job cannot move; a repeated or stale note changes nothing. */
  async note(jobId: string, reason: string): Promise<JobState> {
    if (!reason.trim())
      throw new CommandRejectedError('reason is empty; a routing note needs a readable reason');
    const { version } = await this.jobs.load(jobId);
    if (version === 0) throw new JobNotFoundError(jobId);
    const r = await this.jobs.execute(jobId, () => ({ type: 'NoteRouting', reason }));
    return r.state;
  }
}
