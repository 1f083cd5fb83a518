import { readFileSync } from 'node:fs';
import {
  Kafka,
  logLevel,
  type Admin,
  type KafkaConfig,
  type LogEntry,
  type SASLOptions,
} from 'kafkajs';
import { type Logger, jsonLogger } from '../logger';
import { KafkaJsConsumer } from './kafkajs-consumer';
import { kafkaRetry } from './kafkajs-retry';
import { KafkaJsProducer } from './kafkajs-producer';
import { TopicNamespace } from './topic-namespace';
import {
  type Consumer,
  type ConsumerOptions,
  type EventBus,
  type Producer,
  type TopicSpec,
} from './ports';

/** SASL credentials of the service's principal on the broker (PLAIN or SCRAM). */
export interface KafkaSasl {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

export interface KafkaBusConfig {
  clientId: string;
  /** host:port list, e.g. from KAFKA_BROKERS split on commas. */
  brokers: string[];
  /** Prefix of every topic and consumer group this bus touches: the deployment's namespace. */
  topicPrefix?: string;
  /** Authenticate as this principal (the broker's ACLs say what it may read and write). */
  sasl?: KafkaSasl;
  /** TLS to the brokers; `caFile` (PEM) replaces the system's CAs for verifying them. */
  tls?: { caFile?: string };
  logger?: Logger;
}

/** kafkajs log entries mapped onto our logger; debug and info chatter dropped. */
function logCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...fields } = log;
      if (level === logLevel.ERROR) logger.error(`kafkajs: ${message}`, fields);
      else if (level === logLevel.WARN) logger.warn(`kafkajs: ${message}`, fields);
    };
}

export class KafkaJsBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private adminClient: Promise<Admin> | undefined;
  readonly namespace: TopicNamespace;

  constructor(config: KafkaBusConfig) {
    this.logger = config.logger ?? jsonLogger;
    this.namespace = new TopicNamespace(config.topicPrefix ?? '');
    const kafkaConfig: KafkaConfig = {
      clientId: config.clientId,
      brokers: config.brokers,
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      retry: kafkaRetry,
      logLevel: logLevel.WARN,
      logCreator: logCreator(this.logger),
      ...(config.sasl ? { sasl: config.sasl as SASLOptions } : {}),
      ...(config.tls
        ? { ssl: config.tls.caFile ? { ca: [readFileSync(config.tls.caFile, 'utf8')] } : true }
        : {}),
    };
    this.kafka = new Kafka(kafkaConfig);
  }

  producer(): Producer {
    return new KafkaJsProducer(this.kafka, this.namespace);
  }

  consumer(options: ConsumerOptions): Consumer {
    return new KafkaJsConsumer(this.kafka, options, this.logger, this.namespace);
  }

  /**
   * Creates the topics that do not exist and waits until every partition has a leader. Several
   * services create a new namespace's topics at once, and a just-created topic's metadata may
   * briefly be unknown on the broker, so creation tolerates "already exists" per topic and the
   * wait retries unknown topics and missing leaders (up to `timeoutMs`).
   */
  async ensureTopics(topics: TopicSpec[], timeoutMs = 30_000): Promise<void> {
    const admin = await this.admin();
    const wanted = topics.map((t) => ({ ...t, topic: this.namespace.topic(t.topic) }));
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    for (const t of missing) {
      try {
        await admin.createTopics({
          waitForLeaders: false,
          topics: [
            {
              topic: t.topic,
              numPartitions: t.numPartitions ?? 1,
              replicationFactor: t.replicationFactor ?? -1,
            },
          ],
        });
      } catch (err) {
        // Another process created it between listTopics and createTopics.
        if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
      }
    }
    await this.waitForLeaders(
      admin,
      missing.map((t) => t.topic),
      timeoutMs,
    );
  }

  private async waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        if (meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
          return;
      } catch (err) {
        const type = (err as { type?: string }).type;
        if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw err;
        if (Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline)
        throw new Error(`topics ${topics.join(', ')} have no leader after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** attempt)));
    }
  }

  async deleteTopics(topics: string[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.admin();
    await admin.deleteTopics({ topics: topics.map((t) => this.namespace.topic(t)) });
  }

  async lag(groupId: string, topics: string[]): Promise<number> {
    const admin = await this.admin();
    let lag = 0;
    const physical = topics.map((t) => this.namespace.topic(t));
    const committed = await admin.fetchOffsets({
      groupId: this.namespace.group(groupId),
      topics: physical,
    });
    for (const topic of physical) {
      const ends = await admin.fetchTopicOffsets(topic);
      const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const end of ends) {
        const at = mine.find((p) => p.partition === end.partition)?.offset ?? '-1';
        const from = at === '-1' ? BigInt(end.low) : BigInt(at);
        lag += Number(BigInt(end.high) - from);
      }
    }
    return lag;
  }

  async ping(): Promise<void> {
    const admin = await this.admin();
    await admin.describeCluster();
  }

  async close(): Promise<void> {
    const admin = this.adminClient;
    this.adminClient = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
  }

  private admin(): Promise<Admin> {
    if (!this.adminClient) {
      const admin = this.kafka.admin({ retry: kafkaRetry });
      this.adminClient = admin.connect().then(
        () => admin,
        (err: unknown) => {
          this.adminClient = undefined;
          throw err;
        },
      );
    }
    return this.adminClient;
  }
}
