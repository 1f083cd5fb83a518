import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type LeaseReport, type Leases } from '../runtime/leases';

/**
 * The service's Prometheus registry: Node process metrics plus an HTTP request histogram.
 * One registry per service instance (not prom-client's global), labelled with the service name.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  /** Events a consumer refused as not of its deployment (another deployment, producer, chain, contract or region). */
  readonly eventsRefused: Counter<'group' | 'topic' | 'reason'>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.httpRequestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, matched route and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.eventsRefused = new Counter({
      name: 'starminer_events_refused_total',
      help: 'Events dropped by a consumer as not of its deployment, by consumer group, topic and reason',
      labelNames: ['group', 'topic', 'reason'],
      registers: [this.registry],
    });
  }

  /** The EventConsumer `onRefused` hook of one consumer group. */
  countRefused(group: string): (refused: { topic: string; reason: string }) => void {
    return ({ topic, reason }) => this.eventsRefused.inc({ group, topic, reason });
  }

  /**
   * `starminer_lease_leader{lease}` (1 on the replica doing the singleton's work, 0 on a standby)
   * and `starminer_lease_epoch{lease}`, read from `leases` at each scrape.
   */
  observeLeases(leases: Leases): void {
    const gauge = (name: string, help: string, value: (t: LeaseReport) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['lease'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const t of leases.report()) this.set({ lease: t.lease }, value(t));
        },
      });
    };
    gauge(
      'starminer_lease_leader',
      'Whether this replica holds the lease of a singleton (1) or stands by (0)',
      (t) => (t.leader ? 1 : 0),
    );
    gauge(
      'starminer_lease_epoch',
      "Epoch of this replica's tenure of a singleton's lease (0 while it stands by)",
      (t) => t.epoch,
    );
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }
}
