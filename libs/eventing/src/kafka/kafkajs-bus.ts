import { Kafka, logLevel, type Admin, type KafkaConfig, type LogEntry } from 'kafkajs';
import { type Logger, jsonLogger } from '../logger';
import { KafkaJsConsumer } from './kafkajs-consumer';
import { kafkaRetry } from './kafkajs-retry';
import { KafkaJsProducer } from './kafkajs-producer';
import {
  type Consumer,
  type ConsumerOptions,
  type EventBus,
  type Producer,
  type TopicSpec,
} from './ports';

export interface KafkaBusConfig {
  clientId: string;
  /** host:port list, e.g. from KAFKA_BROKERS split on commas. */
  brokers: string[];
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

  constructor(config: KafkaBusConfig) {
    this.logger = config.logger ?? jsonLogger;
    const kafkaConfig: KafkaConfig = {
      clientId: config.clientId,
      brokers: config.brokers,
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      retry: kafkaRetry,
      logLevel: logLevel.WARN,
      logCreator: logCreator(this.logger),
    };
    this.kafka = new Kafka(kafkaConfig);
  }

  producer(): Producer {
    return new KafkaJsProducer(this.kafka);
  }

  consumer(options: ConsumerOptions): Consumer {
    return new KafkaJsConsumer(this.kafka, options, this.logger);
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions ?? 1,
          replicationFactor: t.replicationFactor ?? -1,
        })),
      });
    } catch (err) {
      // Another process created it between listTopics and createTopics.
      if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
    }
  }

  async deleteTopics(topics: string[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.admin();
    await admin.deleteTopics({ topics });
  }

  async lag(groupId: string, topics: string[]): Promise<number> {
    const admin = await this.admin();
    let lag = 0;
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const topic of topics) {
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
