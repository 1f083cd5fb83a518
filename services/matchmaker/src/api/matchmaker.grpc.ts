import * as grpc from '@grpc/grpc-js';
import { matchmakerV1 } from '@starminer/proto';
import { type GrpcServiceRegistration, unaryHandler } from '@starminer/service-kit';
import { CommandRejectedError, IllegalTransitionError } from '../domain/errors';
import { InvalidRequestError, JobNotFoundError, UnavailableError } from '../app/errors';
import { type MatchmakerRuntime } from '../infra/runtime';
import { toApiJob } from './job-mapper';

function statusOf(err: unknown): grpc.status {
  if (err instanceof InvalidRequestError || err instanceof CommandRejectedError)
    return grpc.status.INVALID_ARGUMENT;
  if (err instanceof JobNotFoundError) return grpc.status.NOT_FOUND;
  if (err instanceof IllegalTransitionError) return grpc.status.FAILED_PRECONDITION;
  if (err instanceof UnavailableError) return grpc.status.UNAVAILABLE;
  // Anything else is a defect: its stack goes to stderr for the operator.
  process.stderr.write(
    `matchmaker internal error: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  return grpc.status.INTERNAL;
}

function unary<Req, Res>(fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return unaryHandler(fn, statusOf);
}

/** Thin controller: each RPC delegates to one use case. */
export function matchmakerGrpc(rt: MatchmakerRuntime): GrpcServiceRegistration {
  const view = (jobId: string) => rt.queries.get(jobId).then(toApiJob);
  const implementation: matchmakerV1.MatchmakerServiceServer = {
    submitJob: unary(async (r: matchmakerV1.SubmitJobRequest) => {
      const s = await rt.submit.execute({
        idempotencyKey: r.idempotencyKey,
        clientAddress: r.client,
        clientId: r.clientId,
        spec: r.spec,
        simulation: r.simulation && {
          runtime: r.simulation.runtime,
          fail: r.simulation.fail,
          exitCode: r.simulation.exitCode,
        },
      });
      return { job: await view(s.jobId) };
    }),
    cancelJob: unary(async (r: matchmakerV1.CancelJobRequest) => {
      await rt.cancel.execute(r.jobId, r.reason);
      return { job: await view(r.jobId) };
    }),
    reroute: unary(async (r: matchmakerV1.RerouteRequest) => {
      await rt.reroute.execute(
        r.jobId,
        r.targetRegion,
        Number(r.expectedVersion),
        r.proposalId || `${r.jobId}:${r.expectedVersion}`,
      );
      return { job: await view(r.jobId) };
    }),
    noteRouting: unary(async (r: matchmakerV1.NoteRoutingRequest) => {
      await rt.reroute.note(r.jobId, r.reason);
      return { job: await view(r.jobId) };
    }),
    getJob: unary(async (r: matchmakerV1.GetJobRequest) => ({ job: await view(r.jobId) })),
    listJobs: unary(async (r: matchmakerV1.ListJobsRequest) => {
      const page = await rt.queries.list(r.clientId, r.pageSize, r.pageToken);
      return { jobs: page.jobs.map(toApiJob), nextPageToken: page.next };
    }),
  };
  return {
    name: 'starminer.matchmaker.v1.MatchmakerService',
    definition: matchmakerV1.MatchmakerServiceService,
    implementation,
    protoFile: 'starminer/matchmaker/v1/matchmaker.proto',
  };
}
