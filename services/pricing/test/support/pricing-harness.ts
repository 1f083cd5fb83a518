// The pricing service started in-process exactly as main.ts starts it (same ServiceDefinition),
// plus a gRPC client and a Kafka producer that publishes catalogue events as other services do.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Client } from 'pg';
import {
  KafkaJsBus,
  completeEnvelope,
  encodeEnvelope,
  type EventRegistry,
  type Producer,
  type TypedEvent,
} from '@starminer/eventing';
import { pricingV1 } from '@starminer/proto';
import { JsonLogger, startService, type RunningService } from '@starminer/service-kit';
import { requireStackVar } from '@starminer/testing';
import { loadConfig } from '../../src/config';
import { pricingService } from '../../src/service-definition';

export interface Harness {
  service: RunningService;
  client: pricingV1.PricingServiceClient;
  publish<E extends TypedEvent>(
    registry: EventRegistry<E>,
    aggregateId: string,
    event: E,
  ): Promise<void>;
  bus: KafkaJsBus;
  schema: string;
  stop(): Promise<void>;
}

export async function startPricing(opts: {
  id: string;
  deploymentsFile: string;
  pricingKey: string;
  policy: string;
}): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pricing-policy-'));
  const policyFile = path.join(dir, 'policy.yaml');
  fs.writeFileSync(policyFile, opts.policy);
  const schema = `pricing_it_${opts.id}`;
  const config = loadConfig({
    DATABASE_URL: requireStackVar('DATABASE_URL'),
    KAFKA_BROKERS: requireStackVar('KAFKA_BROKERS'),
    DATABASE_SCHEMA: schema,
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'warn',
    PRICING_CONSUMER_GROUP: `pricing-it-${opts.id}`,
    PRICING_POLICY_FILE: policyFile,
    PRICING_KEY: opts.pricingKey,
    DEPLOYMENTS_FILE: opts.deploymentsFile,
  });
  const logger = new JsonLogger({ service: 'pricing', level: 'warn' });
  const service = await startService(pricingService, config, logger);
  const client = new pricingV1.PricingServiceClient(
    `127.0.0.1:${service.grpcPort}`,
    credentials.createInsecure(),
  );
  const bus = new KafkaJsBus({
    clientId: `pricing-it-${opts.id}`,
    brokers: requireStackVar('KAFKA_BROKERS').split(','),
    logger,
  });
  let producer: Producer | undefined;
  return {
    service,
    client,
    bus,
    schema,
    async publish(registry, aggregateId, event) {
      if (!producer) {
        producer = bus.producer();
        await producer.connect();
      }
      const env = completeEnvelope(registry, aggregateId, 0, event);
      await producer.send([
        {
          topic: registry.topicOf(event.type),
          key: aggregateId,
          value: encodeEnvelope(registry, env),
        },
      ]);
    },
    async stop() {
      client.close();
      await producer?.disconnect();
      await bus.close();
      await service.stop('test done');
      // The suite's schema is its own: drop it so repeated runs leave nothing behind.
      const db = new Client({ connectionString: requireStackVar('DATABASE_URL') });
      await db.connect();
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.end();
    },
  };
}

/** A unary call as a promise. */
export function call<Req, Res>(
  client: pricingV1.PricingServiceClient,
  method: 'quote' | 'getPriceBook' | 'getPriceHistory',
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    (client[method] as unknown as (r: Req, cb: (e: Error | null, res: Res) => void) => void).call(
      client,
      req,
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}
