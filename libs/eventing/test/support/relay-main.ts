// A relay process for the crash test: relays one schema's outbox until killed.
// argv: <databaseUrl> <schema>. Kafka comes from the environment the test gives it (testKafkaEnv:
// KAFKA_BROKERS, KAFKA_TOPIC_PREFIX of the test file's namespace, KAFKA_SASL_* if the stack has
// them): the same bus testBus builds in the test, in the same namespace.
import { Pool } from 'pg';
import { KafkaJsBus, type KafkaSasl } from '../../src/kafka/kafkajs-bus';
import { silentLogger } from '../../src/logger';
import { OutboxRelay } from '../../src/relay/outbox-relay';

function busFromEnv(env: NodeJS.ProcessEnv): KafkaJsBus {
  if (!env.KAFKA_BROKERS || env.KAFKA_TOPIC_PREFIX === undefined)
    throw new Error('KAFKA_BROKERS and KAFKA_TOPIC_PREFIX must be given (testKafkaEnv)');
  const mechanism = env.KAFKA_SASL_MECHANISM;
  return new KafkaJsBus({
    clientId: 'relay-child',
    brokers: env.KAFKA_BROKERS.split(','),
    topicPrefix: env.KAFKA_TOPIC_PREFIX,
    ...(mechanism && mechanism !== 'none'
      ? {
          sasl: {
            mechanism: mechanism as KafkaSasl['mechanism'],
            username: env.KAFKA_USERNAME ?? '',
            password: env.KAFKA_PASSWORD ?? '',
          },
        }
      : {}),
    logger: silentLogger,
  });
}

async function main(): Promise<void> {
  const [databaseUrl, schema] = process.argv.slice(2) as [string, string];
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const bus = busFromEnv(process.env);
  const producer = bus.producer();
  await producer.connect();
  // Small batches so kills land between send and mark as often as anywhere else.
  const relay = new OutboxRelay({
    pool,
    leaseConnection: { connectionString: databaseUrl },
    schema,
    producer,
    batchSize: 50,
    pollIntervalMs: 100,
    holderId: `relay/${process.pid}`,
    logger: silentLogger,
  });
  relay.start();
  process.stdout.write('ready\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`relay child failed: ${String(err)}\n`);
  process.exit(1);
});
