/** One singleton's tenure as this replica sees it. */
export interface LeaseTenure {
  /** This replica holds the lease and does the singleton's work. */
  leader: boolean;
  /** Who this replica is in the lease (`<hostname>/<pid>` unless configured). */
  holderId: string;
  /** The epoch of this replica's tenure; 0 while it stands by. */
  epoch: number;
}

/** The tenure of a singleton whose loop has not started yet (it waits for its dependencies). */
export const NOT_STARTED: LeaseTenure = { leader: false, holderId: '', epoch: 0 };

export interface LeaseReport extends LeaseTenure {
  /** What the lease guards, e.g. `match-loop` or `outbox-relay`. */
  lease: string;
}

/**
 * The singletons of one process and who among the replicas does each: every loop that runs under
 * a lease registers here, and `/leases` and the `starminer_lease_leader` gauge read it. A replica
 * answers for itself; the lease table in the service's schema names the holder across replicas.
 */
export class Leases {
  private readonly tenures = new Map<string, () => LeaseTenure>();

  register(lease: string, tenure: () => LeaseTenure): void {
    if (this.tenures.has(lease)) throw new Error(`lease '${lease}' is registered twice`);
    this.tenures.set(lease, tenure);
  }

  report(): LeaseReport[] {
    return [...this.tenures].map(([lease, tenure]) => ({ lease, ...tenure() }));
  }
}
