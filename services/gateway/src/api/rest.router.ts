import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { type Authenticator, bearerToken } from '../app/authenticate';
import { requireScope } from '../app/job-fields';
import { type JobUseCases } from '../app/job-use-cases';
import { describeTemplate, templateSummaries } from '../app/templates';
import { isScope, SCOPES } from '../domain/api-key';
import { ApiError, invalid } from '../domain/errors';
import { type ApiKeyRepository } from '../infra/api-keys';
import { type SiweSessions } from '../infra/siwe-sessions';
import { DOCS_PAGE, OPENAPI } from './openapi';

export interface RestDeps {
  jobs: JobUseCases;
  auth: Authenticator;
  keys: ApiKeyRepository;
  siwe: SiweSessions;
}

type Handler = (req: Request, res: Response) => Promise<unknown>;

function sendError(res: Response, err: unknown): void {
  const e = err instanceof ApiError ? err : new ApiError('INTERNAL', 'internal error');
  if (e.retryAfterSeconds) res.setHeader('Retry-After', String(e.retryAfterSeconds));
  if (!res.headersSent) res.status(e.httpStatus).json(e.toJSON());
}

const bearerOf = (req: Request) => bearerToken(req.header('authorization'));

/** The REST API: thin handlers over the use cases; errors as {error: {code, message, fields}}. */
export function restRouter(deps: RestDeps): Router {
  const r = express.Router();
  r.use(express.json({ limit: '256kb', strict: true }));
  const route = (h: Handler) => (req: Request, res: Response) => {
    h(req, res).then(
      (body) => {
        if (body !== undefined) res.json(body);
      },
      (err: unknown) => sendError(res, err),
    );
  };
  const principal = (req: Request) => deps.auth.principal(req.header('x-api-key'), bearerOf(req));
  const session = async (req: Request) => {
    const p = await principal(req);
    if (p.via !== 'session')
      throw new ApiError(
        'PERMISSION_DENIED',
        'managing API keys needs a Sign-In with Ethereum session',
      );
    return p;
  };
  const requireJson = (req: Request) => {
    if (!req.is('application/json'))
      throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json', [
        {
          field: 'content-type',
          problem: `is ${req.header('content-type') ?? 'missing'}`,
          accepted: 'application/json',
        },
      ]);
  };

  r.get('/openapi.json', (_req, res) => void res.json(OPENAPI));
  r.get('/docs', (_req, res) => void res.type('html').send(DOCS_PAGE));

  r.get(
    '/v1/templates',
    route(async () => ({ templates: templateSummaries() })),
  );
  r.get(
    '/v1/templates/:name',
    route(async (req) =>
      describeTemplate(
        String(req.params.name),
        typeof req.query.version === 'string' ? req.query.version : undefined,
      ),
    ),
  );

  r.post(
    '/v1/auth/siwe/nonce',
    route(() => deps.siwe.issueNonce()),
  );
  r.post(
    '/v1/auth/siwe/verify',
    route(async (req) => {
      requireJson(req);
      const { message, signature } = req.body as { message?: unknown; signature?: unknown };
      const fields = [];
      if (typeof message !== 'string' || !message)
        fields.push({
          field: 'message',
          problem: 'is required',
          accepted: 'the EIP-4361 message text that was signed',
        });
      if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]+$/.test(signature))
        fields.push({
          field: 'signature',
          problem: 'is required as 0x hex',
          accepted: 'the 0x-hex signature of the message',
        });
      if (fields.length) throw invalid(fields);
      return deps.siwe.signIn(message as string, signature as string, new Date());
    }),
  );
  r.delete(
    '/v1/auth/session',
    route(async (req, res) => {
      await session(req);
      await deps.siwe.signOut(bearerOf(req)!);
      res.status(204).end();
      return undefined;
    }),
  );

  r.get(
    '/v1/api-keys',
    route(async (req) => ({ keys: await deps.keys.list((await session(req)).tenant) })),
  );
  r.post(
    '/v1/api-keys',
    route(async (req, res) => {
      const p = await session(req);
      requireJson(req);
      const { name, scopes } = req.body as { name?: unknown; scopes?: unknown };
      const fields = [];
      if (typeof name !== 'string' || !/^[\w .-]{1,64}$/.test(name))
        fields.push({
          field: 'name',
          problem: 'is missing or not valid',
          accepted: '1 to 64 letters, digits, spaces, . _ -',
        });
      if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every(isScope))
        fields.push({
          field: 'scopes',
          problem: `is not valid: ${JSON.stringify(scopes)}`,
          accepted: `a non-empty list of ${SCOPES.join(', ')}`,
        });
      if (fields.length) throw invalid(fields);
      const created = await deps.keys.create(p.tenant, name as string, [
        ...new Set(scopes as never[]),
      ]);
      res.status(201);
      return { key: created.key, ...created.info };
    }),
  );
  r.delete(
    '/v1/api-keys/:keyId',
    route(async (req, res) => {
      const p = await session(req);
      if (!(await deps.keys.revoke(p.tenant, String(req.params.keyId))))
        throw new ApiError('NOT_FOUND', `API key ${String(req.params.keyId)} not found`);
      res.status(204).end();
      return undefined;
    }),
  );

  r.post(
    '/v1/quotes',
    route(async (req) => {
      const p = await principal(req);
      requireJson(req);
      return { quotes: await deps.jobs.quote(p, req.body) };
    }),
  );
  r.post(
    '/v1/jobs',
    route(async (req, res) => {
      const p = await principal(req);
      requireScope(p, 'jobs:write');
      requireJson(req);
      const jobs = await deps.jobs.submit(p, req.body);
      res.status(201);
      return { job: jobs[0], jobs };
    }),
  );
  r.get(
    '/v1/jobs',
    route(async (req) => {
      const p = await principal(req);
      const q = req.query;
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
      return deps.jobs.list(p, {
        pageSize: q.pageSize === undefined ? undefined : Number(q.pageSize),
        pageToken: str(q.pageToken),
        state: str(q.state),
        template: str(q.template),
        region: str(q.region),
      });
    }),
  );
  r.get(
    '/v1/jobs/:jobId',
    route(async (req) => deps.jobs.get(await principal(req), String(req.params.jobId))),
  );
  r.post(
    '/v1/jobs/:jobId/cancel',
    route(async (req) => {
      const reason = (req.body as { reason?: unknown } | undefined)?.reason;
      return {
        job: await deps.jobs.cancel(
          await principal(req),
          String(req.params.jobId),
          typeof reason === 'string' ? reason : '',
        ),
      };
    }),
  );
  r.get(
    '/v1/jobs/:jobId/events',
    route(async (req, res) => {
      const p = await principal(req);
      let open = true;
      const stop = await deps.jobs.watch(p, String(req.params.jobId), (m) => {
        if (!open) return;
        if (!res.headersSent)
          res.writeHead(200, {
            'content-type': 'text/event-stream',
            'cache-control': 'no-cache',
            connection: 'keep-alive',
          });
        res.write(`event: state\ndata: ${JSON.stringify(m)}\n\n`);
        if (m.final) res.end();
      });
      req.on('close', () => {
        open = false;
        stop();
      });
      return undefined;
    }),
  );
  r.get(
    '/v1/balances',
    route(async (req) => deps.jobs.balances(await principal(req))),
  );
  r.get(
    '/v1/price-book',
    route(async (req) =>
      deps.jobs.priceBook(
        await principal(req),
        typeof req.query.region === 'string' ? req.query.region : '',
      ),
    ),
  );

  // Malformed JSON and oversized bodies: the same error shape as everything else.
  r.use(
    (
      err: { type?: string; status?: number },
      _req: Request,
      res: Response,
      _next: NextFunction,
    ) => {
      if (err.type === 'entity.too.large')
        return sendError(res, new ApiError('PAYLOAD_TOO_LARGE', 'the body is larger than 256 kB'));
      if (err.type === 'entity.parse.failed' || err.status === 400)
        return sendError(
          res,
          invalid([{ field: 'body', problem: 'is not valid JSON', accepted: 'a JSON object' }]),
        );
      sendError(res, err);
    },
  );
  return r;
}
