import { ManualClock } from '@starminer/service-kit';
import { DEFAULT_POLICY } from '../../domain/policy';
import { flatStrategy, mtpStrategy } from '../../domain/strategy';
import { h100Node, InMemoryMarket } from '../market.fixtures';
import { RunTickHandler } from '../run-tick/run-tick.handler';
import { verifyIndex } from './verify-index';

describe('verifyIndex', () => {
  const strategy = mtpStrategy(DEFAULT_POLICY);
  let market: InMemoryMarket;

  /** Given a market that ran a few intervals as the service does. */
  beforeEach(async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    market = new InMemoryMarket(strategy);
    const tick = new RunTickHandler(market, strategy, clock);
    await market.log.append(h100Node('us-east', 'n1'));
    await tick.run();
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      await market.log.append({
        kind: 'job-queued',
        at: clock.nowMs(),
        jobId: `j${i}`,
        region: 'us-east',
        gpuClass: 'H100-80GB',
        urgency: 'normal',
        gpus: 4,
      });
      await tick.run();
    }
  });

  it('finds the stored index reproduced by a replay of the log', async () => {
    const result = await verifyIndex(market.log, market.index, strategy);

    expect(result.mismatches).toEqual([]);
    expect(result.entries).toBe(8);
    expect(result.stored).toBeGreaterThan(4);
    expect(result.replayed).toBe(result.stored);
  });

  it('reports a stored price the replay does not set', async () => {
    const tampered = market.index.points[2]!;
    tampered.price += 1n;

    const result = await verifyIndex(market.log, market.index, strategy);

    expect(result.mismatches).toEqual([
      `#2: replay ${tampered.at.getTime()} ${tampered.tier} ${tampered.previous} -> ${tampered.price - 1n} / stored ${tampered.at.getTime()} ${tampered.tier} ${tampered.previous} -> ${tampered.price}`,
    ]);
  });

  it('compares only the prices of the strategy it replays', async () => {
    const result = await verifyIndex(market.log, market.index, flatStrategy(DEFAULT_POLICY));

    expect(result.stored).toBe(0);
    expect(result.replayed).toBe(4);
    expect(result.mismatches).toHaveLength(4);
  });
});
