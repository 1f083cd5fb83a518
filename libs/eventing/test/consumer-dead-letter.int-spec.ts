import { waitUntil } from '@starminer/testing';
import { type Pool } from 'pg';
import { deadLetterTopic } from '../src/catalogue/topics';
import { NonRetryableError } from '../src/domain/errors';
import { EventConsumer } from '../src/consumer/event-consumer';
import { type IncomingMessage } from '../src/kafka/ports';
import { type KafkaJsBus } from '../src/kafka/kafkajs-bus';
import {
  dropSchema,
  effectCounts,
  jobQueuedMessage,
  newBus,
  newPool,
  newSchema,
  recordEffect,
  registry,
  scope,
  testLogger,
  uniqueName,
} from './support/harness';

// The integration project's testTimeout is not applied per project, so set it here.
jest.setTimeout(240_000);

describe('EventConsumer dead-letter topic (real Kafka and Postgres)', () => {
  let pool: Pool;
  let bus: KafkaJsBus;
  let schema: string;
  const topic = uniqueName('t_poison');
  const groupId = uniqueName('g_poison');

  beforeAll(async () => {
    pool = newPool();
    bus = newBus('poison-test');
    schema = await newSchema(pool, 'poison');
    await bus.ensureTopics([{ topic, numPartitions: 1 }]);
  });

  afterAll(async () => {
    await bus.deleteTopics([topic, deadLetterTopic(topic, groupId)]).catch(() => undefined);
    await bus.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('sends undecodable and rejected messages to <topic>.dlq.<group> with the reason, and processes the next ones', async () => {
    const before = jobQueuedMessage(topic, 'job-a', 1);
    const rejected = jobQueuedMessage(topic, 'job-poison', 1);
    const after = [2, 3, 4].map((v) => jobQueuedMessage(topic, 'job-a', v));
    const producer = bus.producer();
    await producer.connect();
    await producer.send([
      before.message,
      {
        topic,
        key: 'job-garbage',
        value: Buffer.from('this is not protobuf \u00ff\u00ff'),
        headers: { origin: 'test' },
      },
      rejected.message,
      ...after.map((a) => a.message),
    ]);
    await producer.disconnect();

    const effect = recordEffect(schema, 'c1');
    const consumer = new EventConsumer({
      bus,
      pool,
      schema,
      groupId,
      topics: [topic],
      registry,
      scope,
      logger: testLogger,
      handler: async (env, tx) => {
        if (env.aggregateId === 'job-poison')
          throw new NonRetryableError('job-poison violates an invariant', { code: 'BAD_JOB' });
        await effect(env, tx);
      },
    });
    await consumer.start();
    try {
      const effects = await waitUntil('good events applied', async () => {
        const counts = await effectCounts(pool, schema);
        return counts.size === 4 ? counts : undefined;
      });
      expect([...effects.keys()].sort()).toEqual([before, ...after].map((m) => m.eventId).sort());
      expect([...effects.values()].every((n) => n === 1)).toBe(true);

      // Read the dead-letter topic back through the bus port.
      const dead: IncomingMessage[] = [];
      const reader = bus.consumer({ groupId: uniqueName('g_dlq_reader') });
      await reader.start([deadLetterTopic(topic, groupId)], async (batch) => {
        dead.push(...batch.messages);
        await batch.commit(batch.messages[batch.messages.length - 1]!.offset);
      });
      await waitUntil('2 dead letters', () => (dead.length >= 2 ? true : undefined));
      await reader.stop();
      expect(dead).toHaveLength(2);
      expect(dead[0]!.headers).toMatchObject({
        origin: 'test',
        'dlq-error-code': 'UNDECODABLE',
        'dlq-original-topic': topic,
        'dlq-original-offset': '1',
        'dlq-consumer-group': groupId,
      });
      expect(dead[0]!.value!.toString()).toContain('this is not protobuf');
      expect(dead[1]!.headers).toMatchObject({
        'dlq-error-code': 'BAD_JOB',
        'dlq-reason': 'job-poison violates an invariant',
        'event-id': rejected.eventId,
      });
      expect(consumer.stats.deadLettered).toBe(2);
      await waitUntil('lag 0', async () =>
        (await bus.lag(groupId, [topic])) === 0 ? true : undefined,
      );
      await expect(consumer.readiness().check()).resolves.toBeUndefined();
    } finally {
      await consumer.stop();
    }
  });
});
