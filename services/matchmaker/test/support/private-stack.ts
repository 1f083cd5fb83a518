import * as k8s from '@kubernetes/client-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { commonV1, type matchmakerV1 } from '@starminer/proto';
import {
  PrivateKwokRegion,
  requireStackVar,
  waitUntil,
  writeRegionsFile,
  type PrivatePool,
} from '@starminer/testing';
import { JobRepository } from '../../src/infra/postgres/job-repository';
import { type JobState } from '../../src/domain/job-state';
import { call, type EventPublisher } from './harness';

/**
 * Regions of a test's own (private kwok control planes with their own GPU nodes, a regions file
 * naming them), so fault tests can delete nodes and stop API servers without touching the
 * shared regions. Region names carry the run id, so the node, provider and price events they
 * announce on the shared topics name nothing another deployment has.
 */
export class PrivateRegions {
  private constructor(
    readonly regions: PrivateKwokRegion[],
    readonly regionsFile: string,
    private readonly dir: string,
  ) {}

  static async create(
    runId: string,
    specs: Array<{ name: string; pools: PrivatePool[] }>,
  ): Promise<PrivateRegions> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mm-regions-'));
    // A provider address of this run's own (40 hex digits).
    const provider = `0x${Buffer.from(runId).toString('hex').padStart(40, 'f').slice(-40)}`;
    const regions: PrivateKwokRegion[] = [];
    try {
      for (const s of specs)
        regions.push(
          await PrivateKwokRegion.create({
            region: `${s.name}-${runId}`,
            provider,
            pools: s.pools,
          }),
        );
    } catch (err) {
      for (const r of regions) r.delete();
      throw err;
    }
    return new PrivateRegions(
      regions,
      writeRegionsFile(
        dir,
        regions.map((r) => r.region),
      ),
      dir,
    );
  }

  get(prefix: string): PrivateKwokRegion {
    const r = this.regions.find((x) => x.region.startsWith(`${prefix}-`));
    if (!r) throw new Error(`no private region ${prefix}`);
    return r;
  }

  /** The matchmaker's region variables for these regions. */
  env(): Record<string, string> {
    const env: Record<string, string> = {
      REGIONS_FILE: this.regionsFile,
      STARMINER_REGIONS: this.regions.map((r) => r.region).join(','),
    };
    for (const r of this.regions)
      env[`KUBECONFIG_${r.region.toUpperCase().replace(/-/g, '_')}`] = r.kubeconfig;
    return env;
  }

  async announce(events: EventPublisher): Promise<void> {
    await events.announceClusterNodes(
      this.regions.map((r) => ({ region: r.region, kubeconfig: r.kubeconfig })),
    );
  }

  delete(): void {
    for (const r of this.regions) {
      try {
        r.delete();
      } catch {
        // already gone
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function kubeApis(kubeconfig: string): { core: k8s.CoreV1Api; batch: k8s.BatchV1Api } {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { core: kc.makeApiClient(k8s.CoreV1Api), batch: kc.makeApiClient(k8s.BatchV1Api) };
}

export const TERMINAL_STATES = new Set([
  commonV1.JobState.JOB_STATE_SUCCEEDED,
  commonV1.JobState.JOB_STATE_FAILED,
  commonV1.JobState.JOB_STATE_TIMED_OUT,
  commonV1.JobState.JOB_STATE_CANCELLED,
  commonV1.JobState.JOB_STATE_EXPIRED,
]);

/** A SubmitJob request for a batch job in one region, run by kwok for `runtime`. */
export function submitRequest(o: {
  key: string;
  client: string;
  region: string;
  product: string;
  gpus: number;
  runtime: string;
  clientId?: string;
  fail?: boolean;
  urgency?: number;
}): matchmakerV1.SubmitJobRequest {
  return {
    idempotencyKey: o.key,
    client: o.client,
    clientId: o.clientId ?? 'tenant-faults',
    quoteId: '',
    spec: {
      workload: {
        image: 'ghcr.io/acme/job:1',
        command: [],
        args: [],
        env: {},
        template: undefined,
      },
      gpu: { product: o.product, count: o.gpus, minVramMib: 0 },
      jobClass: commonV1.JobClass.JOB_CLASS_UNSPECIFIED,
      urgency: o.urgency ?? 2,
      latency: { mode: { $case: 'batch', value: {} } },
      regionPreference: [o.region],
      maxPrice: { baseUnits: (10n ** 24n).toString() },
      maxDurationSeconds: 600,
    },
    simulation: { runtime: o.runtime, fail: o.fail ?? false, exitCode: 3 },
  };
}

/** Submits, then funds the quote as the chain-indexer would. Returns the job id. */
export async function submitFunded(
  client: matchmakerV1.MatchmakerServiceClient,
  events: EventPublisher,
  req: matchmakerV1.SubmitJobRequest,
): Promise<string> {
  const res = await call<matchmakerV1.SubmitJobRequest, matchmakerV1.SubmitJobResponse>(
    client.submitJob.bind(client),
    req,
  );
  const job = res.job!;
  await events.fund(job.jobId, req.client, job.quote!.quoteId, BigInt(job.quote!.total!.baseUnits));
  return job.jobId;
}

export async function getJob(
  client: matchmakerV1.MatchmakerServiceClient,
  jobId: string,
): Promise<matchmakerV1.Job> {
  const r = await call<matchmakerV1.GetJobRequest, matchmakerV1.GetJobResponse>(
    client.getJob.bind(client),
    { jobId },
  );
  return r.job!;
}

const TERMINAL_EVENTS = ['JobSucceeded', 'JobFailed', 'JobTimedOut', 'JobCancelled', 'JobExpired'];

/** The origin a probe's repository would stamp: it only reads, so it never writes one. */
const READ_ONLY = { deploymentId: 'read-only-probe', producer: 'matchmaker' };

/**
 * Reads a matchmaker schema's event store directly: what was recorded, which is what
 * settlement is paid from.
 */
export class EventStoreProbe {
  readonly pool = new Pool({ connectionString: requireStackVar('DATABASE_URL'), max: 2 });
  private readonly repo: JobRepository;

  constructor(readonly schema: string) {
    this.repo = new JobRepository(this.pool, schema, READ_ONLY);
  }

  /** Per job: how many events of each type its stream holds. */
  async typeCounts(): Promise<Map<string, Record<string, number>>> {
    const r = await this.pool.query<{ stream_id: string; type: string; n: string }>(
      `SELECT stream_id, type, count(*) AS n FROM ${this.schema}.events GROUP BY stream_id, type`,
    );
    const out = new Map<string, Record<string, number>>();
    for (const row of r.rows) {
      const m = out.get(row.stream_id) ?? {};
      m[row.type] = Number(row.n);
      out.set(row.stream_id, m);
    }
    return out;
  }

  /** Terminal events per job (a job charged twice would have two). */
  async terminalCounts(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [id, types] of await this.typeCounts())
      out.set(
        id,
        TERMINAL_EVENTS.reduce((n, t) => n + (types[t] ?? 0), 0),
      );
    return out;
  }

  /**
   * Waits until the matchmaker has applied the NodeJoined events of these regions' nodes (its new
   * consumer group reads the file's topics from the beginning); waiting here keeps that out of
   * the test's own timeouts.
   */
  async nodesApplied(regions: PrivateRegions, timeoutMs = 300_000): Promise<void> {
    const want = regions.regions.reduce(
      (n, r) => n + r.kubectl(['get', 'nodes', '--no-headers']).trim().split('\n').length,
      0,
    );
    await waitUntil(
      'the matchmaker applied the node announcements',
      async () => {
        const r = await this.pool
          .query<{ n: string }>(
            `SELECT count(*) AS n FROM ${this.schema}.nodes WHERE region = ANY($1)`,
            [regions.regions.map((x) => x.region)],
          )
          .catch(() => ({ rows: [{ n: '0' }] }));
        return Number(r.rows[0]!.n) >= want ? true : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    );
  }

  state(jobId: string): Promise<JobState> {
    return this.repo.load(jobId).then((x) => x.state);
  }

  async drop(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`).catch(() => undefined);
    await this.pool.end();
  }
}

/** Kubernetes Jobs per job id (label `starminer.io/job-id`) in a namespace of some regions. */
export async function kubeJobsPerJob(
  regions: PrivateKwokRegion[],
  namespace: string,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const r of regions) {
    const list = await kubeApis(r.kubeconfig).batch.listNamespacedJob({ namespace });
    for (const kj of list.items) {
      const id = kj.metadata!.labels!['starminer.io/job-id']!;
      out.set(id, [...(out.get(id) ?? []), `${r.region}/${kj.metadata!.name}`]);
    }
  }
  return out;
}

/**
 * `kubeJobsPerJob` once every one of `jobIds` has a Kubernetes Job in the API servers: a test
 * that saw the jobs end in the matchmaker waits on the API servers' own view before asserting
 * on it (how many Jobs each has stays the test's assertion).
 */
export function kubeJobsOnceListed(
  regions: PrivateKwokRegion[],
  namespace: string,
  jobIds: readonly string[],
  timeoutMs = 30_000,
): Promise<Map<string, string[]>> {
  return waitUntil(
    `a Kubernetes Job of each of ${jobIds.length} jobs listed`,
    async () => {
      const perJob = await kubeJobsPerJob(regions, namespace);
      return jobIds.every((id) => perJob.has(id)) ? perJob : undefined;
    },
    { timeoutMs },
  );
}
