/**
 * Errors that say a dependency of the service (its database) cannot serve right now, not that
 * the request was wrong or the service broken: the caller should retry, so they are answered
 * with UNAVAILABLE whatever the service's own error mapping says.
 */
const UNAVAILABLE_CODES = new Set([
  // Sockets.
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  // Postgres: connection exceptions, too many connections, shutting down or starting up.
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
  '57P01',
  '57P02',
  '57P03',
]);

const UNAVAILABLE_MESSAGES = [
  // pg-pool: no pooled connection became free within the wait.
  'timeout exceeded when trying to connect',
  // pg: the session ended under a query.
  'Connection terminated',
  'Client has encountered a connection error',
];

export function isDependencyUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  return UNAVAILABLE_MESSAGES.some((m) => err.message.includes(m));
}
