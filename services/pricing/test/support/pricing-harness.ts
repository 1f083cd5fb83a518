// The pricing service started in-process exactly as main.ts starts it (same ServiceDefinition),
// in this test file's Kafka namespace and its own deployment and regions, plus a gRPC client and
// a Kafka producer that publishes catalogue events as the services owning them do.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Client } from 'pg';
import {
  completeEnvelope,
  encodeEnvelope,
  type EventOrigin,
  type EventRegistry,
  type KafkaJsBus,
  type Producer,
  type TypedEvent,
} from '@starminer/eventing';
import { pricingV1 } from '@starminer/proto';
import { JsonLogger, startService, type RunningService } from '@starminer/service-kit';
import {
  requireStackVar,
  stackEnv,
  testBus,
  writeRegionsFile,
  type StandIn,
} from '@starminer/testing';
import { loadConfig } from '../../src/config';
import { pricingService } from '../../src/service-definition';

export interface Harness {
  service: RunningService;
  client: pricingV1.PricingServiceClient;
  /**
   * Publishes `event` as the service owning its type does in the test's deployment, or with
   * `origin` (another deployment, a forger).
   */
  publish<E extends TypedEvent>(
    registry: EventRegistry<E>,
    aggregateId: string,
    event: E,
    origin?: EventOrigin,
  ): Promise<void>;
  bus: KafkaJsBus;
  schema: string;
  /** Consumer group of the node and job consumer (the `group` label of its metrics). */
  groupId: string;
  /** Sum of `starminer_events_refused_total` of the service's consumer, by reason. */
  refused(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** Sums the samples of `name` on a Prometheus text page whose labels include every `labels` pair, by `by`. */
export function sumByLabel(
  page: string,
  name: string,
  labels: Record<string, string>,
  by: string,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of page.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)\{(.*)\}\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]),
    );
    if (Object.entries(labels).some(([k, v]) => got[k] !== v)) continue;
    const key = got[by] ?? '';
    out[key] = (out[key] ?? 0) + Number(m[3]);
  }
  return out;
}

export async function startPricing(opts: {
  id: string;
  /** The test's deployment (its deployments file and the origins of its services). */
  deployment: StandIn;
  /** Every region the test uses on purpose: the service serves these. */
  regions: string[];
  pricingKey: string;
  policy: string;
}): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pricing-policy-'));
  const policyFile = path.join(dir, 'policy.yaml');
  fs.writeFileSync(policyFile, opts.policy);
  const schema = `pricing_it_${opts.id}`;
  const groupId = `pricing-it-${opts.id}`;
  const config = loadConfig({
    ...stackEnv(),
    DATABASE_SCHEMA: schema,
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'warn',
    PRICING_CONSUMER_GROUP: groupId,
    PRICING_POLICY_FILE: policyFile,
    PRICING_KEY: opts.pricingKey,
    DEPLOYMENTS_FILE: opts.deployment.file,
    REGIONS_FILE: writeRegionsFile(dir, opts.regions),
  });
  const logger = new JsonLogger({ service: 'pricing', level: 'warn' });
  const service = await startService(pricingService, config, logger);
  const client = new pricingV1.PricingServiceClient(
    `127.0.0.1:${service.grpcPort}`,
    credentials.createInsecure(),
  );
  const bus = testBus(`pricing-it-${opts.id}`, { logger });
  let producer: Producer | undefined;
  return {
    service,
    client,
    bus,
    schema,
    groupId,
    async publish(registry, aggregateId, event, origin) {
      if (!producer) {
        producer = bus.producer();
        await producer.connect();
      }
      const owner = opts.deployment.as(registry.definition(event.type).producer).origin;
      const env = completeEnvelope(registry, origin ?? owner, aggregateId, 0, event);
      await producer.send([
        {
          topic: registry.topicOf(event.type),
          key: aggregateId,
          value: encodeEnvelope(registry, env),
        },
      ]);
    },
    async refused() {
      const page = await (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();
      return sumByLabel(page, 'starminer_events_refused_total', { group: groupId }, 'reason');
    },
    async stop() {
      client.close();
      await producer?.disconnect();
      await bus.close();
      await service.stop('test done');
      fs.rmSync(dir, { recursive: true, force: true });
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
