// A relay process for the crash test: relays one schema's outbox until killed.
// argv: <databaseUrl> <schema> <brokers>
import { Pool } from 'pg';
import { KafkaJsBus } from '../../src/kafka/kafkajs-bus';
import { silentLogger } from '../../src/logger';
import { OutboxRelay } from '../../src/relay/outbox-relay';

async function main(): Promise<void> {
  const [databaseUrl, schema, brokers] = process.argv.slice(2) as [string, string, string];
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const bus = new KafkaJsBus({
    clientId: 'relay-child',
    brokers: brokers.split(','),
    logger: silentLogger,
  });
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
    logger: silentLogger,
  });
  relay.start();
  process.stdout.write('ready\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`relay child failed: ${String(err)}\n`);
  process.exit(1);
});
