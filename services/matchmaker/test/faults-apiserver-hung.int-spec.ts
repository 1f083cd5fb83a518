import { randomUUID } from 'node:crypto';
import { waitUntil } from '@starminer/testing';
import { type EventPublisher, type Matchmaker } from './support/harness';
import { PrivateMatchmaker } from './support/private-matchmaker';
import {
  type EventStoreProbe,
  kubeJobsOnceListed,
  type PrivateRegions,
  submitFunded,
  submitRequest,
} from './support/private-stack';

// One region's kube-apiserver frozen (SIGSTOP: connections accepted, nothing answered) while a
// job is being dispatched there: every Kubernetes call is bounded (KUBE_REQUEST_TIMEOUT_MS), so
// the matchmaker's loop is not held and a job in another region still runs; when the API server
// answers again the held job is dispatched once and runs.
const runId = randomUUID().slice(0, 6);
const CLIENT = '0x00000000000000000000000000000000000000f6';
let stack: PrivateMatchmaker | undefined;
let regions: PrivateRegions;
let events: EventPublisher;
let mm: Matchmaker | undefined;
let probe: EventStoreProbe;

beforeAll(async () => {
  stack = await PrivateMatchmaker.start(
    runId,
    [
      { name: 'ha', pools: [{ pool: 'h100', product: 'H100-80GB', gpusPerNode: 8, nodes: 1 }] },
      { name: 'hb', pools: [{ pool: 'h100', product: 'H100-80GB', gpusPerNode: 8, nodes: 1 }] },
    ],
    { KUBE_REQUEST_TIMEOUT_MS: '2000', MATCH_ACROSS_REGIONS: 'false' },
  );
  ({ regions, events, mm, probe } = stack);
}, 360_000);

afterAll(async () => {
  regions?.get('ha').thawApiServer();
  await stack?.stop();
});

const submit = (key: string, region: string) =>
  submitFunded(
    mm!.client,
    events,
    submitRequest({ key, client: CLIENT, region, product: 'H100-80GB', gpus: 2, runtime: '2s' }),
  );
const statusOf = async (id: string) => (await probe.state(id)).status;

it('keeps matching and running other regions while one API server hangs', async () => {
  const hung = regions.get('ha');
  hung.freezeApiServer();
  let held: string;
  try {
    held = await submit('held', hung.region);
    // Matched there (its informers have not failed: a frozen server sends nothing), and the
    // dispatch is what hangs.
    await waitUntil('the job matched to the hung region', async () =>
      (await statusOf(held)) === 'Matched' ? true : undefined,
    );
    const other = await submit('other', regions.get('hb').region);
    await waitUntil(
      'the other region job succeeded',
      async () => ((await statusOf(other)) === 'Succeeded' ? true : undefined),
      { timeoutMs: 60_000 },
    );
    expect(await statusOf(held)).toBe('Matched');
  } finally {
    hung.thawApiServer();
  }
  await waitUntil(
    'the held job succeeded',
    async () => ((await statusOf(held)) === 'Succeeded' ? true : undefined),
    { timeoutMs: 90_000 },
  );
  expect((await probe.typeCounts()).get(held)).toMatchObject({ JobDispatched: 1, JobSucceeded: 1 });
  const perJob = await kubeJobsOnceListed(regions.regions, mm!.namespace, [held]);
  expect(perJob.get(held)).toHaveLength(1);
});
