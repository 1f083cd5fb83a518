import * as k8s from '@kubernetes/client-node';
import { type JsonLogger } from '@starminer/service-kit';
import { type Reachability } from '../../app/ports';

interface Probed {
  api: k8s.VersionApi;
  failures: number;
  reachable: boolean;
  lastError?: string;
}

/**
 * Spillover's own view of each region's API server (GET /version with the region's kubeconfig):
 * unreachable after `failures` failed probes in a row, reachable again after one answer. A
 * region without a kubeconfig is taken as reachable. Only queued jobs are moved because of it;
 * jobs running there are the matchmaker's to reconcile when the region returns.
 */
export class RegionProbe implements Reachability {
  private readonly regions = new Map<string, Probed>();
  private timer?: NodeJS.Timeout;

  constructor(
    kubeconfigs: Record<string, string>,
    private readonly o: { intervalMs: number; timeoutMs: number; failures: number },
    private readonly logger: JsonLogger,
    private readonly changed: () => void,
  ) {
    for (const [region, path] of Object.entries(kubeconfigs)) {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(path);
      this.regions.set(region, {
        api: kc.makeApiClient(k8s.VersionApi),
        failures: 0,
        reachable: true,
      });
    }
  }

  reachable(region: string): boolean {
    return this.regions.get(region)?.reachable ?? true;
  }

  /** Regions and their last error, for readiness and the routing plan. */
  status(): Array<{ region: string; reachable: boolean; lastError?: string }> {
    return [...this.regions].map(([region, p]) => ({
      region,
      reachable: p.reachable,
      lastError: p.lastError,
    }));
  }

  start(): void {
    void this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), this.o.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async probeAll(): Promise<void> {
    await Promise.all([...this.regions].map(([region, p]) => this.probe(region, p)));
  }

  private async probe(region: string, p: Probed): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        p.api.getCode(),
        new Promise((_, reject) => {
          timeout = setTimeout(
            () => reject(new Error(`no answer in ${this.o.timeoutMs} ms`)),
            this.o.timeoutMs,
          );
        }),
      ]);
      p.failures = 0;
      p.lastError = undefined;
      if (!p.reachable) {
        p.reachable = true;
        this.logger.info('region reachable again', { region });
        this.changed();
      }
    } catch (err) {
      p.failures += 1;
      p.lastError = err instanceof Error ? err.message : String(err);
      if (p.reachable && p.failures >= this.o.failures) {
        p.reachable = false;
        this.logger.warn('region unreachable: its queued jobs spill', {
          region,
          failures: p.failures,
          err: p.lastError,
        });
        this.changed();
      }
    } finally {
      clearTimeout(timeout);
    }
  }
}
