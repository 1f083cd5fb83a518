/**
 * Upcasting (as in emmett): an event written with an older schema version is turned into the
 * current shape when read, one version step at a time, so deciders and projections only ever
 * see current shapes. Upcasters are pure.
 */
export type Upcaster = (event: Record<string, unknown>) => Record<string, unknown>;

/** Upcasters of one event type, keyed by the version they read (step v -> v + 1). */
export type UpcasterChain = Readonly<Record<number, Upcaster>>;

/**
 * Applies the steps from `fromVersion` up to `currentVersion`. A missing step means the shape
 * did not change in that version. An event newer than the reader passes through unchanged:
 * protobuf keeps it readable (unknown fields are dropped), and refusing it would wedge readers
 * during a rolling deploy.
 */
export function upcast(
  event: Record<string, unknown>,
  fromVersion: number,
  currentVersion: number,
  chain: UpcasterChain = {},
): Record<string, unknown> {
  let shaped = event;
  for (let v = Math.max(1, fromVersion); v < currentVersion; v++) {
    const step = chain[v];
    if (step) shaped = step(shaped);
  }
  return shaped;
}
