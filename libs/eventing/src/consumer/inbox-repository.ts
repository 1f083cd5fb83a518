import { type Pool } from 'pg';
import { type IncomingMessage } from '../kafka/ports';
import { quoteSchema } from '../postgres/sql-names';
import { type Tx } from '../postgres/transaction';

/** The inbox of one consumer group: ids of events already applied (or dead-lettered). */
export class InboxRepository {
  private readonly s: string;

  constructor(
    schema: string,
    private readonly groupId: string,
  ) {
    this.s = quoteSchema(schema);
  }

  /**
   * Inserts the ids not seen yet and returns them. Concurrent claimers of one id (a redelivery
   * racing the original after a rebalance) serialise on the primary key: the loser waits for the
   * winner's commit and then sees the row, so only one applies the effects.
   */
  async claim(
    tx: Tx,
    items: Array<{ eventId: string; message: IncomingMessage }>,
    outcome: 'applied' | 'dead-lettered' = 'applied',
  ): Promise<Set<string>> {
    const r = await tx.query<{ event_id: string }>(
      `INSERT INTO ${this.s}.inbox (consumer_group, event_id, topic, kafka_partition, kafka_offset, outcome)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::bigint[], $6::text[])
       ON CONFLICT DO NOTHING RETURNING event_id`,
      [
        this.groupId,
        items.map((i) => i.eventId),
        items.map((i) => i.message.topic),
        items.map((i) => i.message.partition),
        items.map((i) => i.message.offset),
        items.map(() => outcome),
      ],
    );
    return new Set(r.rows.map((row) => row.event_id));
  }

  async seen(db: Pool | Tx, eventId: string): Promise<boolean> {
    const r = await db.query(
      `SELECT 1 FROM ${this.s}.inbox WHERE consumer_group = $1 AND event_id = $2`,
      [this.groupId, eventId],
    );
    return (r.rowCount ?? 0) > 0;
  }
}
