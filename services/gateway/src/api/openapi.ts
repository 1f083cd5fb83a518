/** The REST API's OpenAPI 3 document (kept beside the routes it describes). */
const err = { $ref: '#/components/responses/Error' };
const op = (summary: string, scope: string | null, extra: Record<string, unknown> = {}) => ({
  summary,
  security: scope ? [{ apiKey: [] }, { session: [] }] : [],
  'x-scope': scope ?? 'public',
  responses: {
    '200': { description: 'OK' },
    '400': err,
    '401': err,
    '403': err,
    '404': err,
    '429': err,
  },
  ...extra,
});
const jobId = [
  { name: 'jobId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
];

export const OPENAPI = {
  openapi: '3.0.3',
  info: {
    title: 'StarMiner gateway',
    version: '1.0.0',
    description: 'Submit and follow GPU jobs. See docs/gateway.md.',
  },
  components: {
    securitySchemes: {
      apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      session: {
        type: 'http',
        scheme: 'bearer',
        description: 'Sign-In with Ethereum session token',
      },
    },
    responses: {
      Error: {
        description: 'Error with a stable code and field-level problems',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                error: {
                  type: 'object',
                  properties: {
                    code: { type: 'string' },
                    message: { type: 'string' },
                    fields: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          field: { type: 'string' },
                          problem: { type: 'string' },
                          accepted: { type: 'string' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
  paths: {
    '/v1/templates': { get: op('List templates (latest versions)', null) },
    '/v1/templates/{name}': {
      get: op('Describe a template and its parameter schema', null, {
        parameters: [
          { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'version', in: 'query', schema: { type: 'string' } },
        ],
      }),
    },
    '/v1/auth/siwe/nonce': { post: op('Issue a single-use Sign-In with Ethereum nonce', null) },
    '/v1/auth/siwe/verify': {
      post: op('Sign in with a signed EIP-4361 message; returns a session token', null),
    },
    '/v1/auth/session': { delete: op('Sign out (revoke the session token)', 'session') },
    '/v1/api-keys': {
      get: op('List your API keys', 'session'),
      post: op('Create an API key {name, scopes}; the key is shown once', 'session'),
    },
    '/v1/api-keys/{keyId}': { delete: op('Revoke an API key (effective at once)', 'session') },
    '/v1/quotes': { post: op('Price a job (spec or template) without creating it', 'jobs:write') },
    '/v1/jobs': {
      get: op('List your jobs (pageSize, pageToken, state, template, region)', 'jobs:read'),
      post: op('Submit a job (spec or template)', 'jobs:write'),
    },
    '/v1/jobs/{jobId}': { get: op('Get a job', 'jobs:read', { parameters: jobId }) },
    '/v1/jobs/{jobId}/cancel': { post: op('Cancel a job', 'jobs:write', { parameters: jobId }) },
    '/v1/jobs/{jobId}/events': {
      get: op(
        'Watch a job as Server-Sent Events (every state change, with progress)',
        'jobs:read',
        { parameters: jobId },
      ),
    },
    '/v1/balances': { get: op('Your escrowed and refunded AGPU', 'balances:read') },
    '/v1/price-book': { get: op('Current prices per tier', 'prices:read') },
  },
};

/** A self-contained page that renders the document: no scripts from anywhere else. */
export const DOCS_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>StarMiner gateway API</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}code{background:#f3f3f3;padding:0 .3em}
.m{display:inline-block;width:4.5em;font-weight:bold}.s{color:#666}</style></head><body>
<h1>StarMiner gateway API</h1><p>The machine-readable document is <a href="/openapi.json">/openapi.json</a>.</p>
<div id="paths">loading...</div><script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{const el=document.getElementById('paths');el.textContent='';
for(const [p,ops] of Object.entries(doc.paths))for(const [m,o] of Object.entries(ops)){const d=document.createElement('div');
d.innerHTML='<span class="m"></span><code></code> <span></span> <span class="s"></span>';
d.children[0].textContent=m.toUpperCase();d.children[1].textContent=p;d.children[2].textContent=o.summary;d.children[3].textContent='('+o['x-scope']+')';el.appendChild(d);}});
</script></body></html>`;
