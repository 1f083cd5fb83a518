import { ManualClock } from '@starminer/service-kit';
import { commonV1 } from '@starminer/proto';
import { DEFAULT_POLICY, neutralPrice } from '../../domain/policy';
import { flatStrategy } from '../../domain/strategy';
import { URGENCIES } from '../../domain/tier';
import { h100Node, InMemoryMarket } from '../market.fixtures';
import { RunTickHandler } from './run-tick.handler';

const strategy = flatStrategy(DEFAULT_POLICY);
const H100 = 'NVIDIA-H100-80GB-HBM3';

describe('RunTickHandler', () => {
  let clock: ManualClock;
  let market: InMemoryMarket;
  let handler: RunTickHandler;

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    market = new InMemoryMarket(strategy);
    handler = new RunTickHandler(market, strategy, clock);
    await market.log.append(h100Node('us-east', 'n1'), 'joined-n1');
  });

  it('prices the tiers of a new pool: tick, snapshot, index and one PriceUpdated per tier in one transaction', async () => {
    const now = clock.nowMs();

    const points = await handler.run();

    expect(points.map((p) => p.tier)).toEqual(URGENCIES.map((u) => `H100-80GB/us-east/${u}`));
    expect(market.commits).toBe(1);
    expect(market.log.locks).toBe(1);
    expect(market.log.entries[1]).toEqual({ seq: 2n, entry: { kind: 'tick', at: now } });
    expect([...market.log.snapshots.keys()]).toEqual([2n]);
    expect(market.index.points.map((p) => [p.tickSeq, p.tier, p.price, p.strategy])).toEqual(
      URGENCIES.map((u) => [
        2n,
        `H100-80GB/us-east/${u}`,
        neutralPrice(DEFAULT_POLICY, 'H100-80GB', u),
        strategy.id,
      ]),
    );
    expect(market.events.published[1]).toEqual({
      aggregateId: `${H100}/us-east/normal`,
      event: {
        type: 'PriceUpdated',
        tier: { gpuProduct: H100, region: 'us-east', urgency: commonV1.Urgency.URGENCY_NORMAL },
        previousPricePerGpuSecond: { baseUnits: '0' },
        pricePerGpuSecond: {
          baseUnits: neutralPrice(DEFAULT_POLICY, 'H100-80GB', 'normal').toString(),
        },
        queuedGpus: 0,
        freeGpus: 8,
        strategy: strategy.id,
      },
      meta: { occurredAt: new Date(now) },
    });
    expect(market.events.published).toHaveLength(4);
  });

  it('continues from the snapshot: a later tick prices only what changed since', async () => {
    await handler.run();
    clock.advance(60_000);
    await market.log.append(h100Node('eu-west', 'n2'), 'joined-n2');

    const points = await handler.run();

    expect(points.map((p) => p.tier)).toEqual(URGENCIES.map((u) => `H100-80GB/eu-west/${u}`));
    expect(market.events.published.slice(4).map((e) => e.aggregateId)).toEqual(
      URGENCIES.map((u) => `${H100}/eu-west/${u}`),
    );
    expect([...market.log.snapshots.keys()]).toEqual([2n, 4n]);
  });

  it('records the tick and a snapshot even when no price changes, and publishes nothing', async () => {
    await handler.run();
    clock.advance(60_000);

    await expect(handler.run()).resolves.toEqual([]);

    expect(market.log.signals().at(-1)).toEqual({ kind: 'tick', at: clock.nowMs() });
    expect(market.log.snapshots.has(3n)).toBe(true);
    expect(market.events.published).toHaveLength(4);
  });

  it('leaves nothing of the interval behind when storing its prices fails', async () => {
    market.index.failWith = new Error('index unavailable');

    await expect(handler.run()).rejects.toThrow('index unavailable');

    expect(market.commits).toBe(0);
    expect(market.log.signals()).toEqual([h100Node('us-east', 'n1')]);
    expect(market.log.snapshots.size).toBe(0);
    expect(market.events.published).toEqual([]);
  });
});
