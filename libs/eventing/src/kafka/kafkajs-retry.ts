/**
 * kafkajs' retry defaults (5 retries from 300 ms, at most 30 s between) give up after ~1 min of
 * broker downtime and then crash the consumer. Retry longer and cap the wait low, so clients
 * reconnect quickly after a broker restart; our own supervision restarts anything that still dies.
 */
export const kafkaRetry = {
  initialRetryTime: 300,
  maxRetryTime: 5_000,
  retries: 12,
  factor: 0.2,
  multiplier: 2,
};
