/**
 * The ports every StarMiner service uses for Kafka. Only src/kafka/kafkajs-*.ts imports a Kafka
 * client, so switching clients touches nothing else.
 */

export interface OutgoingMessage {
  topic: string;
  /** The aggregate id: Kafka keeps messages with one key in order on one partition. */
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
}

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface Producer {
  connect(): Promise<void>;
  /** Resolves once every message is acknowledged by all in-sync replicas. */
  send(messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** One fetched batch of one partition, handed to the consumer's handler. */
export interface MessageBatch {
  topic: string;
  partition: number;
  messages: IncomingMessage[];
  /** Keeps the group membership alive during long processing; throws when a rebalance revoked us. */
  heartbeat(): Promise<void>;
  /** Marks everything up to and including `offset` as processed and commits it. */
  commit(offset: string): Promise<void>;
  /** False once the consumer is stopping or the partition was revoked: stop processing. */
  isActive(): boolean;
}

export interface ConsumerStatus {
  /** Joined its group and fetching. */
  running: boolean;
  /** Why it is not running, if it is not. */
  problem?: string;
  restarts: number;
}

export interface Consumer {
  /** Subscribes and starts fetching; batches of one partition are handled one at a time, in order. */
  start(topics: string[], handleBatch: (batch: MessageBatch) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
  status(): ConsumerStatus;
}

export interface ConsumerOptions {
  groupId: string;
  /** Start from the earliest offset when the group has none committed (default true). */
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  /** Restart the client when it has not fetched for this long outside a batch (wedge watchdog). */
  stallTimeoutMs?: number;
}

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
}

export interface EventBus {
  producer(): Producer;
  consumer(options: ConsumerOptions): Consumer;
  /** Creates the topics that do not exist yet (the broker does not auto-create). */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  deleteTopics(topics: string[]): Promise<void>;
  /** Messages of `topics` not yet committed by `groupId`, summed over partitions. */
  lag(groupId: string, topics: string[]): Promise<number>;
  /** Throws when no broker answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
