/** Kafka topics of the event catalogue (logical names; a deployment's bus prefixes them), keyed by aggregate id. */
export const Topics = {
  job: 'starminer.job.v1',
  node: 'starminer.node.v1',
  market: 'starminer.market.v1',
  reputation: 'starminer.reputation.v1',
  chain: 'starminer.chain.v1',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

/** Partitions of each catalogue topic: jobs are the busiest stream. */
export const TopicPartitions: Record<Topic, number> = {
  [Topics.job]: 12,
  [Topics.node]: 6,
  [Topics.market]: 6,
  [Topics.reputation]: 6,
  [Topics.chain]: 6,
};

/** Topic specs of the catalogue (or of `topics` among it), for `EventBus.ensureTopics`. */
export function catalogueTopics(
  topics: readonly string[] = Object.values(Topics),
): Array<{ topic: string; numPartitions: number }> {
  return topics.map((topic) => ({ topic, numPartitions: TopicPartitions[topic as Topic] ?? 6 }));
}

/** Dead-letter topic of one consumer group on one topic. */
export function deadLetterTopic(topic: string, groupId: string): string {
  return `${topic}.dlq.${groupId}`;
}
