import { CompressionTypes, type Kafka, type Producer as KafkaProducer } from 'kafkajs';
import { type OutgoingMessage, type Producer } from './ports';
import { kafkaRetry } from './kafkajs-retry';
import { type TopicNamespace } from './topic-namespace';

/**
 * Idempotent producer: the broker drops retried duplicates within a producer session, and one
 * request in flight keeps each partition in send order. Duplicates across a process restart
 * remain possible (at-least-once); consumers dedupe by event id.
 */
export class KafkaJsProducer implements Producer {
  private readonly producer: KafkaProducer;

  constructor(
    kafka: Kafka,
    private readonly namespace: TopicNamespace,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: kafkaRetry,
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const m of messages) {
      const list = byTopic.get(m.topic) ?? [];
      list.push(m);
      byTopic.set(m.topic, list);
    }
    await this.producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic: this.namespace.topic(topic),
        messages: list.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      })),
    });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}
