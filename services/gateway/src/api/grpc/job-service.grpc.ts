import { Metadata, type ServerUnaryCall, type ServerWritableStream, status } from '@grpc/grpc-js';
import { gatewayV1, serviceProtoFiles } from '@starminer/proto';
import { type GrpcServiceRegistration, unaryHandler } from '@starminer/service-kit';
import { type Authenticator, bearerToken } from '../../app/authenticate';
import { stateName } from '../../app/job-fields';
import { type JobUseCases } from '../../app/job-use-cases';
import { describeTemplate, templateSummaries } from '../../app/templates';
import { type Principal } from '../../domain/api-key';
import { ApiError, invalid } from '../../domain/errors';
import { jobClassEnum, jobStateEnum, quoteBody, submitBody } from './job-request.mapping';

/** Trailing metadata key holding the error body, the same JSON as the REST API's. */
export const ERROR_TRAILER = 'x-error-json';

const apiError = (err: unknown): ApiError =>
  err instanceof ApiError ? err : new ApiError('INTERNAL', 'internal error');

const statusOf = (err: unknown): status => apiError(err).grpcStatus;

function trailersOf(err: unknown): Metadata {
  const e = apiError(err);
  const md = new Metadata();
  md.set(ERROR_TRAILER, JSON.stringify(e.toJSON()));
  if (e.retryAfterSeconds) md.set('retry-after', String(e.retryAfterSeconds));
  return md;
}

const first = (md: Metadata, key: string): string | undefined => {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : undefined;
};

/**
 * The public gRPC JobService: a thin adapter over the same use cases as the REST API.
 * Credentials come from the call metadata (`x-api-key` or `authorization: Bearer <token>`);
 * errors carry the stable code's gRPC status and the error body in `x-error-json` trailers.
 */
export function jobServiceGrpc(deps: {
  jobs: JobUseCases;
  auth: Authenticator;
}): GrpcServiceRegistration {
  const { jobs, auth } = deps;
  const principal = (md: Metadata): Promise<Principal> =>
    auth.principal(first(md, 'x-api-key'), bearerToken(first(md, 'authorization')));
  const unary = <Req, Res>(work: (req: Req, p: Principal) => Promise<Res>) =>
    unaryHandler<Req, Res>(
      async (req: Req, call: ServerUnaryCall<Req, Res>) =>
        work(req, await principal(call.metadata)),
      statusOf,
      trailersOf,
    );
  /** Public calls (the template catalogue): no credentials needed. */
  const anonymous = <Req, Res>(work: (req: Req) => Promise<Res>) =>
    unaryHandler<Req, Res>(work, statusOf, trailersOf);

  const implementation: gatewayV1.JobServiceServer = {
    listTemplates: anonymous(async () => ({
      templates: templateSummaries().map((t) => ({ ...t, jobClass: jobClassEnum(t.jobClass) })),
    })),
    describeTemplate: anonymous(async (req: gatewayV1.DescribeTemplateRequest) => {
      const t = describeTemplate(req.name, req.version);
      return {
        template: {
          name: t.name,
          version: t.version,
          title: t.title,
          description: t.description,
          jobClass: jobClassEnum(t.jobClass),
        },
        parametersSchemaJson: JSON.stringify(t.parameters),
        versions: t.versions,
      };
    }),
    quote: unary(async (req: gatewayV1.QuoteRequest, p) => {
      const { body, problems } = quoteBody(req);
      if (problems.length) throw invalid(problems);
      return { quotes: await jobs.quote(p, body) };
    }),
    submitJob: unary(async (req: gatewayV1.SubmitJobRequest, p) => {
      const { body, problems } = submitBody(req);
      if (problems.length) throw invalid(problems);
      const created = await jobs.submit(p, body);
      return { job: created[0], jobs: created };
    }),
    getJob: unary((req: gatewayV1.GetJobRequest, p) => jobs.get(p, req.jobId)),
    listJobs: unary(async (req: gatewayV1.ListJobsRequest, p) => {
      const page = await jobs.list(p, {
        pageSize: req.pageSize || undefined,
        pageToken: req.pageToken,
        state: req.state ? stateName(req.state) : undefined,
        template: req.template,
        region: req.region,
      });
      return { jobs: page.jobs, nextPageToken: page.nextPageToken };
    }),
    cancelJob: unary(async (req: gatewayV1.CancelJobRequest, p) => ({
      job: await jobs.cancel(p, req.jobId, req.reason),
    })),
    getBalances: unary(async (_req: gatewayV1.GetBalancesRequest, p) => {
      const b = await jobs.balances(p);
      const amount = (baseUnits: string) => ({ baseUnits });
      return {
        address: b.address,
        escrowed: amount(b.escrowed),
        refunded: amount(b.refunded),
        fundedJobs: b.fundedJobs,
        agpuBalance: amount(b.agpuBalance),
        withdrawable: amount(b.withdrawable),
        asOfBlock: b.asOfBlock,
      };
    }),
    getPriceBook: unary(async (req: gatewayV1.GetPriceBookRequest, p) => ({
      book: await jobs.priceBook(p, req.region),
    })),
    watchJob: (call: ServerWritableStream<gatewayV1.WatchJobRequest, gatewayV1.WatchJobResponse>) =>
      void watch(call),
  };

  /** Server stream: the snapshot, then every state change, ending after a final state. */
  async function watch(
    call: ServerWritableStream<gatewayV1.WatchJobRequest, gatewayV1.WatchJobResponse>,
  ): Promise<void> {
    let stop: (() => void) | undefined;
    let open = true;
    call.on('cancelled', () => {
      open = false;
      stop?.();
    });
    try {
      const p = await principal(call.metadata);
      stop = await jobs.watch(p, call.request.jobId, (m) => {
        if (!open) return;
        call.write({
          job: m.job,
          state: jobStateEnum(m.state),
          eventType: m.eventType,
          progressPercent: m.progressPercent,
          occurredAt: m.occurredAt,
          final: m.final,
        });
        if (m.final) {
          open = false;
          stop?.();
          call.end();
        }
      });
      if (!open) stop();
    } catch (err) {
      if (!open) return;
      open = false;
      call.emit('error', {
        code: statusOf(err),
        details: apiError(err).message,
        metadata: trailersOf(err),
      });
    }
  }

  return {
    name: 'starminer.gateway.v1.JobService',
    definition: gatewayV1.JobServiceService,
    implementation,
    protoFile: serviceProtoFiles.gateway,
  };
}
