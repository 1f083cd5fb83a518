/**
 * Structurally identical to libs/service-kit's ReadinessCheck, so a service registers these
 * checks there without this library depending on the service kit. `check` throws when not ready.
 */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** Rejects after `ms` so a check against a vanished peer cannot hang the readiness probe. */
export async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
