import { ManualClock } from '@starminer/service-kit';
import { DEFAULT_POLICY } from '../../domain/policy';
import { flatStrategy } from '../../domain/strategy';
import { h100Node, InMemoryMarket } from '../market.fixtures';
import { LeaveUnservedRegionsHandler } from './leave-unserved-regions.handler';

describe('LeaveUnservedRegionsHandler', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 2));
  let market: InMemoryMarket;

  beforeEach(async () => {
    market = new InMemoryMarket(flatStrategy(DEFAULT_POLICY));
    await market.log.append(h100Node('us-east', 'n1'));
    await market.log.append(h100Node('eu-west', 'n2'));
    await market.log.append({
      kind: 'job-queued',
      at: 0,
      jobId: 'j1',
      region: 'eu-west',
      gpuClass: 'H100-80GB',
      urgency: 'normal',
      gpus: 1,
    });
  });

  it('takes the nodes and jobs of a region no longer served off the market, under the log lock', async () => {
    const handler = new LeaveUnservedRegionsHandler(market, clock, new Set(['us-east']));

    await expect(handler.run()).resolves.toBe(2);

    expect(market.log.locks).toBe(1);
    expect(market.log.signals().slice(3)).toEqual([
      { kind: 'node-removed', at: clock.nowMs(), node: 'eu-west/n2' },
      { kind: 'job-ended', at: clock.nowMs(), jobId: 'j1', outcome: 'cancelled' },
    ]);
    expect(market.commits).toBe(1);
  });

  it('records nothing the second time: the region is already off the market', async () => {
    const handler = new LeaveUnservedRegionsHandler(market, clock, new Set(['us-east']));
    await handler.run();

    await expect(handler.run()).resolves.toBe(0);
    expect(market.log.entries).toHaveLength(5);
  });

  it('records nothing while every region on the market is served', async () => {
    const handler = new LeaveUnservedRegionsHandler(market, clock, new Set(['us-east', 'eu-west']));

    await expect(handler.run()).resolves.toBe(0);
    expect(market.log.entries).toHaveLength(3);
  });
});
