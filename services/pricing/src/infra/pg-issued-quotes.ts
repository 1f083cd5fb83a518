import { type Pool } from 'pg';
import { quoteSchema } from '@starminer/eventing';
import { type Quote } from '@starminer/chain';
import { type IssuedQuotes } from '../app/ports';

/**
 * Every quote signed, by nonce. The primary key makes a repeated nonce fail loudly instead of
 * producing two quotes the escrow would treat as one.
 */
export class PgIssuedQuotes implements IssuedQuotes {
  private readonly s: string;

  constructor(
    private readonly db: Pool,
    schema: string,
  ) {
    this.s = quoteSchema(schema);
  }

  async record(quotes: Array<{ quote: Quote; tier: string }>): Promise<void> {
    if (quotes.length === 0) return;
    await this.db.query(
      `INSERT INTO ${this.s}.issued_quotes (nonce, job_id, client, tier, price, max_gpu_seconds, expiry)
       SELECT * FROM unnest($1::numeric[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::bigint[], $7::bigint[])`,
      [
        quotes.map((q) => q.quote.nonce.toString()),
        quotes.map((q) => q.quote.jobId),
        quotes.map((q) => q.quote.client),
        quotes.map((q) => q.tier),
        quotes.map((q) => q.quote.pricePerGpuSecond.toString()),
        quotes.map((q) => q.quote.maxGpuSeconds.toString()),
        quotes.map((q) => q.quote.expiry.toString()),
      ],
    );
  }
}
