/** Raised when an API server accepted a request but did not answer in time. */
export class KubeRequestTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: the API server did not answer within ${ms} ms`);
    this.name = 'KubeRequestTimeout';
  }
}

/**
 * Wraps a generated Kubernetes API client so that every call settles within `ms`. The client
 * sets no timeout of its own, so an API server that accepts connections but never answers (hung,
 * frozen, or overloaded) would otherwise hold the matchmaker's loop, and with it matching and
 * tracking in every region. A timed-out call is not aborted: a create may still land, which is
 * why dispatch treats a later 409 as done.
 */
export function boundedApi<T extends object>(api: T, ms: number, region: string): T {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new KubeRequestTimeout(`${region} ${String(prop)}`, ms)),
            ms,
          );
          timer.unref();
        });
        const call = Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args));
        return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
      };
    },
  });
}
