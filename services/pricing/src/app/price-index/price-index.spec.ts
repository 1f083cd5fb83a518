import { InMemoryPriceIndex } from '../market.fixtures';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  PageTokenError,
  PriceIndexQueries,
} from './price-index.queries';

const T0 = Date.UTC(2026, 0, 1);
const tier = 'H100-80GB/us-east/normal' as const;

describe('PriceIndexQueries', () => {
  let index: InMemoryPriceIndex;
  let queries: PriceIndexQueries;

  /** Given five ticks of the us-east normal tier and one of eu-west. */
  beforeEach(async () => {
    index = new InMemoryPriceIndex();
    queries = new PriceIndexQueries(index);
    for (let i = 1; i <= 5; i++)
      await index.record(BigInt(i), 'mtp@test', [
        {
          at: T0 + i * 60_000,
          tier,
          previous: BigInt(i - 1),
          price: BigInt(i),
          queuedGpus: i,
          freeGpus: 8,
        },
      ]);
    await index.record(6n, 'mtp@test', [
      {
        at: T0,
        tier: 'H100-80GB/eu-west/high',
        previous: 0n,
        price: 7n,
        queuedGpus: 0,
        freeGpus: 4,
      },
    ]);
  });

  it('serves the latest price of every tier, or of one region', async () => {
    const all = await queries.book('');
    expect(all.version).toBe(6n);
    expect(all.prices.map((p) => [p.tier, p.price])).toEqual([
      ['H100-80GB/eu-west/high', 7n],
      [tier, 5n],
    ]);

    const usEast = await queries.book('us-east');
    expect(usEast.prices.map((p) => p.tier)).toEqual([tier]);
  });

  it('pages a tier history oldest first, with a token that resumes after the last point', async () => {
    const first = await queries.history({ tier, pageSize: 2, pageToken: '' });
    expect(first.points.map((p) => p.price)).toEqual([1n, 2n]);
    expect(first.nextPageToken).toBe('p2');

    const second = await queries.history({ tier, pageSize: 2, pageToken: first.nextPageToken });
    expect(second.points.map((p) => p.price)).toEqual([3n, 4n]);

    const last = await queries.history({ tier, pageSize: 2, pageToken: second.nextPageToken });
    expect(last.points.map((p) => p.price)).toEqual([5n]);
    expect(last.nextPageToken).toBe('');
  });

  it('bounds the history by time', async () => {
    const page = await queries.history({
      tier,
      from: new Date(T0 + 2 * 60_000),
      to: new Date(T0 + 3 * 60_000),
      pageSize: 0,
      pageToken: '',
    });
    expect(page.points.map((p) => p.price)).toEqual([2n, 3n]);
    expect(page.nextPageToken).toBe('');
  });

  it(`serves ${DEFAULT_PAGE_SIZE} points when no page size is given`, async () => {
    for (let i = 0; i < DEFAULT_PAGE_SIZE; i++)
      await index.record(7n, 'mtp@test', [
        { at: T0, tier, previous: 0n, price: 1n, queuedGpus: 0, freeGpus: 0 },
      ]);
    const page = await queries.history({ tier, pageSize: 0, pageToken: '' });
    expect(page.points).toHaveLength(DEFAULT_PAGE_SIZE);
    expect(page.nextPageToken).not.toBe('');
  });

  it('refuses a token it did not issue and a page size out of range', async () => {
    await expect(queries.history({ tier, pageSize: 2, pageToken: 'x9' })).rejects.toThrow(
      PageTokenError,
    );
    await expect(
      queries.history({ tier, pageSize: MAX_PAGE_SIZE + 1, pageToken: '' }),
    ).rejects.toThrow(`page_size: expected 0 to ${MAX_PAGE_SIZE}`);
  });
});
