// A downstream consumer of starminer.chain.v1 as a service would write one: it keeps a row per
// chain event it derived something from, and on ChainReorged deletes the voided ones (and
// remembers them, so a voided event arriving late is not applied). It reads the test file's
// namespace and accepts only the indexed deployment's events (its scope); of those, only events
// of one indexer schema are considered.
import { type Pool } from 'pg';
import {
  catalogueTopics,
  EventConsumer,
  type EventScope,
  migrateEventing,
  silentLogger,
  starminerRegistry,
  Topics,
  type StarminerEvent,
} from '@starminer/eventing';
import { testBus } from '@starminer/testing';
import { uniqueName } from './indexer';

export class DownstreamConsumer {
  readonly schema = uniqueName('ci_downstream');
  private readonly bus = testBus('ci-downstream', { logger: silentLogger });
  private consumer: EventConsumer<StarminerEvent> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly indexerSchema: string,
    /** The indexed deployment's scope (`deploymentScope(deployments, ...)`). */
    private readonly scope: EventScope,
  ) {}

  async start(): Promise<void> {
    await migrateEventing(this.pool, this.schema);
    await this.pool.query(
      `CREATE TABLE "${this.schema}".derived (event_id text PRIMARY KEY, block_hash text, log_index int)`,
    );
    await this.pool.query(`CREATE TABLE "${this.schema}".voided (event_id text PRIMARY KEY)`);
    await this.bus.ensureTopics(catalogueTopics([Topics.chain]));
    const s = `"${this.schema}"`;
    this.consumer = new EventConsumer({
      bus: this.bus,
      pool: this.pool,
      schema: this.schema,
      groupId: uniqueName('ci-downstream'),
      topics: [Topics.chain],
      registry: starminerRegistry(),
      scope: this.scope,
      logger: silentLogger,
      handler: async (env, tx) => {
        const mine = await tx.query(
          `SELECT 1 FROM "${this.indexerSchema}".outbox WHERE event_id = $1`,
          [env.eventId],
        );
        if (mine.rowCount === 0) return;
        const e = env.event;
        if (e.type === 'ChainReorged') {
          await tx.query(
            `INSERT INTO ${s}.voided SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`,
            [e.voidedEventIds],
          );
          await tx.query(`DELETE FROM ${s}.derived WHERE event_id = ANY($1::text[])`, [
            e.voidedEventIds,
          ]);
          return;
        }
        const log = (e as { log?: { blockHash: string; logIndex: number } }).log;
        if (!log) return;
        await tx.query(
          `INSERT INTO ${s}.derived (event_id, block_hash, log_index)
           SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM ${s}.voided WHERE event_id = $1)`,
          [env.eventId, log.blockHash, log.logIndex],
        );
      },
    });
    await this.consumer.start();
  }

  /** (block hash, log index) of every event the consumer currently derives from, sorted. */
  async derived(): Promise<string[]> {
    const r = await this.pool.query<{ k: string }>(
      `SELECT block_hash || ':' || log_index AS k FROM "${this.schema}".derived ORDER BY 1`,
    );
    return r.rows.map((x) => x.k);
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    await this.bus.close();
    await this.pool.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
  }
}
