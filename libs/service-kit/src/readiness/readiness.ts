/**
 * Readiness: the service can do its work only while every dependency it registered answers.
 * Liveness (/healthz) is separate and never depends on another process.
 */
export interface ReadinessCheck {
  /** Dependency name shown when it fails, e.g. "postgres" or "chain-rpc". */
  readonly name: string;
  /** Resolves when the dependency is usable; rejects with the reason otherwise. */
  check(): Promise<void>;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  /** Why it failed. */
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: CheckResult[];
}

/** Rejects after `ms` unless `work` settles first; the timer never keeps the process alive. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export type ReadinessListener = (report: ReadinessReport) => void;

/**
 * The registry of readiness checks. `evaluate()` runs them all concurrently, each bounded by
 * `timeoutMs`; listeners hear every evaluation (the gRPC health service follows them).
 * Once `markStopping()` is called the service is never ready again.
 */
export class Readiness {
  private readonly checks: ReadinessCheck[] = [];
  private readonly listeners: ReadinessListener[] = [];
  private stopping = false;
  private poller: NodeJS.Timeout | undefined;
  private last: ReadinessReport | undefined;

  constructor(private readonly timeoutMs = 2_000) {}

  register(check: ReadinessCheck): void {
    if (this.checks.some((c) => c.name === check.name)) {
      throw new Error(`readiness check '${check.name}' is registered twice`);
    }
    this.checks.push(check);
  }

  names(): string[] {
    return this.checks.map((c) => c.name);
  }

  onChange(listener: ReadinessListener): void {
    this.listeners.push(listener);
  }

  /** The last report, if any evaluation ran. */
  lastReport(): ReadinessReport | undefined {
    return this.last;
  }

  async evaluate(): Promise<ReadinessReport> {
    let report: ReadinessReport;
    if (this.stopping) {
      report = {
        ready: false,
        checks: [{ name: 'shutdown', ok: false, error: 'the service is stopping' }],
      };
    } else {
      const checks = await Promise.all(
        this.checks.map(async (c): Promise<CheckResult> => {
          try {
            await withTimeout(c.check(), this.timeoutMs, c.name);
            return { name: c.name, ok: true };
          } catch (err) {
            return {
              name: c.name,
              ok: false,
              error: err instanceof Error ? err.message : String(err),
            };
          }
        }),
      );
      // Stopping may have begun while the checks ran: that wins.
      report = this.stopping
        ? {
            ready: false,
            checks: [{ name: 'shutdown', ok: false, error: 'the service is stopping' }],
          }
        : { ready: checks.every((c) => c.ok), checks };
    }
    this.publish(report);
    return report;
  }

  /** Re-evaluates every `intervalMs` so gRPC health follows dependencies without being asked. */
  startPolling(intervalMs: number): void {
    if (this.poller) return;
    const tick = () => {
      void this.evaluate().finally(() => {
        if (this.poller) this.poller = setTimeout(tick, intervalMs).unref();
      });
    };
    this.poller = setTimeout(tick, 0).unref();
  }

  markStopping(): void {
    this.stopping = true;
    if (this.poller) clearTimeout(this.poller);
    this.poller = undefined;
    this.publish({
      ready: false,
      checks: [{ name: 'shutdown', ok: false, error: 'the service is stopping' }],
    });
  }

  private publish(report: ReadinessReport): void {
    this.last = report;
    for (const l of this.listeners) l(report);
  }
}
