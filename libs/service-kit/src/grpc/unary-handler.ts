import { status, type handleUnaryCall } from '@grpc/grpc-js';

/**
 * A unary gRPC handler over a use case: the request goes in, the answer or the error comes out.
 * `statusOf` maps the service's own errors to gRPC codes (bad input, not found, ...); the error's
 * message becomes the status details the client sees.
 */
export function unaryHandler<Req, Res>(
  work: (req: Req) => Promise<Res>,
  statusOf: (err: unknown) => status,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    work(call.request).then(
      (res) => callback(null, res),
      (err: unknown) =>
        callback({
          code: statusOf(err),
          details: err instanceof Error ? err.message : String(err),
        }),
    );
  };
}
