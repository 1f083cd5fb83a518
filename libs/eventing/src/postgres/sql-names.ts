/**
 * Schema names are interpolated into SQL (identifiers cannot be bound parameters), so only
 * plain lower-case identifiers are accepted.
 */
export function quoteSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid schema name "${schema}": use lower-case letters, digits and _`);
  }
  return `"${schema}"`;
}

/** LISTEN/NOTIFY channel the outbox writers signal and the relay waits on. */
export function outboxChannel(schema: string): string {
  quoteSchema(schema);
  return `${schema}_outbox`;
}
