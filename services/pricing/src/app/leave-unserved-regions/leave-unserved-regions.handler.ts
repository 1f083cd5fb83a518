import { type Clock } from '@starminer/service-kit';
import { leaveUnservedRegions } from '../../domain/served-regions';
import { type MarketUnitOfWork } from '../ports';

/**
 * Takes the nodes and jobs of regions no longer served (dropped from the regions file since
 * they were recorded) off the market, as entries of the input log, so replays agree. Run at
 * start, before the consumer and the ticks.
 */
export class LeaveUnservedRegionsHandler {
  constructor(
    private readonly market: MarketUnitOfWork,
    private readonly clock: Clock,
    private readonly served: ReadonlySet<string>,
  ) {}

  /** Returns how many entries it recorded. */
  async run(): Promise<number> {
    const nowMs = this.clock.nowMs();
    return this.market.transact(async ({ log }) => {
      await log.lock();
      const { state } = await log.load();
      const entries = leaveUnservedRegions(state.signals, this.served, nowMs);
      for (const entry of entries) await log.append(entry);
      return entries.length;
    });
  }
}
