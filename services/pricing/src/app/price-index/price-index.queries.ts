import { type PriceIndexReader, type StoredPrice } from '../ports';

export class PageTokenError extends Error {
  override readonly name = 'PageTokenError';
}

/** Page tokens are the id of the last point served, opaque to clients. */
function decodePageToken(token: string): bigint {
  if (token === '') return 0n;
  const m = /^p(\d{1,19})$/.exec(token);
  if (!m) throw new PageTokenError(`page_token: "${token}" is not a token this service issued`);
  return BigInt(m[1]!);
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** Read side of the public price index. */
export class PriceIndexQueries {
  constructor(private readonly index: PriceIndexReader) {}

  book(region: string): Promise<{ version: bigint; prices: StoredPrice[] }> {
    return this.index.book(region || undefined);
  }

  async history(q: {
    tier: string;
    from?: Date;
    to?: Date;
    pageSize: number;
    pageToken: string;
  }): Promise<{ points: StoredPrice[]; nextPageToken: string }> {
    if (q.pageSize < 0 || q.pageSize > MAX_PAGE_SIZE)
      throw new PageTokenError(
        `page_size: expected 0 to ${MAX_PAGE_SIZE} (0 means ${DEFAULT_PAGE_SIZE}), got ${q.pageSize}`,
      );
    const limit = q.pageSize || DEFAULT_PAGE_SIZE;
    const rows = await this.index.history({
      tier: q.tier,
      afterId: decodePageToken(q.pageToken),
      from: q.from,
      to: q.to,
      limit: limit + 1,
    });
    const points = rows.slice(0, limit);
    const more = rows.length > limit;
    return { points, nextPageToken: more ? `p${points[points.length - 1]!.id}` : '' };
  }
}
