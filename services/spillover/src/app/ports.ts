/** The matchmaker, owner of the Job aggregate, seen from spillover (gRPC in production). */
export interface MatchmakerPort {
  /**
   * Proposes moving a waiting job. 'refused' when the matchmaker turned it down (the job changed
   * since `expectedVersion`, or the move breaks its budget); throws when it could not be asked.
   */
  reroute(
    jobId: string,
    toRegion: string,
    expectedVersion: number,
    proposalId: string,
  ): Promise<{ outcome: 'applied' } | { outcome: 'refused'; message: string }>;
  /** Records why a waiting job cannot move (GetJob shows it). */
  note(jobId: string, reason: string): Promise<void>;
}

/** Publishes JobRerouteProposed (through spillover's outbox). */
export interface ProposalPublisher {
  proposed(p: {
    jobId: string;
    proposalId: string;
    fromRegion: string;
    toRegion: string;
    rttMs: number;
    price: bigint;
    reason: string;
  }): Promise<void>;
}

/** Whether each region's API server answers (probed by spillover itself). */
export interface Reachability {
  reachable(region: string): boolean;
}

export interface Clock {
  now(): Date;
}
