/** Kafka topics of the event catalogue (ARCHITECTURE.md §4), keyed by aggregate id. */
export const Topics = {
  job: 'starminer.job.v1',
  node: 'starminer.node.v1',
  market: 'starminer.market.v1',
  reputation: 'starminer.reputation.v1',
  chain: 'starminer.chain.v1',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

/** Dead-letter topic of one consumer group on one topic. */
export function deadLetterTopic(topic: string, groupId: string): string {
  return `${topic}.dlq.${groupId}`;
}
