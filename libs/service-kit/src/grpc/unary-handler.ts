import { type Metadata, type ServerUnaryCall, status, type handleUnaryCall } from '@grpc/grpc-js';
import { isDependencyUnavailable } from './unavailable';

/**
 * A unary gRPC handler over a use case: the request goes in, the answer or the error comes out.
 * `statusOf` maps the service's own errors to gRPC codes (bad input, not found, ...); the error's
 * message becomes the status details the client sees. `work` also gets the call, for handlers
 * that read its metadata (credentials); `trailersOf` may add trailing metadata to an error (a
 * machine-readable error body, say). A dependency that cannot serve right now (the database's pool
 * is exhausted, its server restarting) is UNAVAILABLE, which clients retry, whatever `statusOf` says.
 */
export function unaryHandler<Req, Res>(
  work: (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
  statusOf: (err: unknown) => status,
  trailersOf?: (err: unknown) => Metadata | undefined,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    work(call.request, call).then(
      (res) => callback(null, res),
      (err: unknown) =>
        callback({
          code: isDependencyUnavailable(err) ? status.UNAVAILABLE : statusOf(err),
          details: err instanceof Error ? err.message : String(err),
          metadata: trailersOf?.(err),
        }),
    );
  };
}
