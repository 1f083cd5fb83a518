import * as grpc from '@grpc/grpc-js';
import { matchmakerV1 } from '@starminer/proto';
import { type MatchmakerPort } from '../../app/ports';

/** Refusals that mean "not this proposal" rather than "could not ask". */
const REFUSED = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.NOT_FOUND,
]);

/** MatchmakerPort over the matchmaker's gRPC Reroute and NoteRouting. */
export class GrpcMatchmaker implements MatchmakerPort {
  private readonly client: matchmakerV1.MatchmakerServiceClient;

  constructor(
    address: string,
    private readonly timeoutMs = 5_000,
  ) {
    this.client = new matchmakerV1.MatchmakerServiceClient(
      address,
      grpc.credentials.createInsecure(),
    );
  }

  private call<Req, Res>(
    fn: (
      req: Req,
      md: grpc.Metadata,
      opts: Partial<grpc.CallOptions>,
      cb: (err: grpc.ServiceError | null, res?: Res) => void,
    ) => unknown,
    req: Req,
  ): Promise<Res> {
    return new Promise((resolve, reject) =>
      fn.call(
        this.client,
        req,
        new grpc.Metadata(),
        { deadline: Date.now() + this.timeoutMs },
        (err, res) => (err ? reject(err) : resolve(res!)),
      ),
    );
  }

  async reroute(
    jobId: string,
    toRegion: string,
    expectedVersion: number,
    proposalId: string,
  ): Promise<{ outcome: 'applied' } | { outcome: 'refused'; message: string }> {
    try {
      await this.call(this.client.reroute, {
        jobId,
        targetRegion: toRegion,
        expectedVersion: String(expectedVersion),
        proposalId,
      });
      return { outcome: 'applied' };
    } catch (err) {
      const e = err as grpc.ServiceError;
      if (REFUSED.has(e.code)) return { outcome: 'refused', message: e.details };
      throw err;
    }
  }

  async note(jobId: string, reason: string): Promise<void> {
    try {
      await this.call(this.client.noteRouting, { jobId, reason });
    } catch (err) {
      // The job is gone or moved on: nothing to note.
      if (!REFUSED.has((err as grpc.ServiceError).code)) throw err;
    }
  }

  close(): void {
    this.client.close();
  }
}
