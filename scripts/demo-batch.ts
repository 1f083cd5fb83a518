// The demo's mixed batch: every template, urgency and region, submitted and funded through the
// SDK, followed live, then summarised with each job's settlement transaction read from the chain.
import { resolveGpuClass } from '@starminer/gpu-catalogue';
import { type Job, type JobRequest, type Settlement, URGENCIES } from '@starminer/sdk';
import { agpu, perGpuHour, shortId, table } from '../cli/src/format';
import { ProgressDisplay } from '../cli/src/progress';
import { type DemoClient } from './demo-clients';

export interface BatchItem {
  client: DemoClient;
  request: JobRequest;
  /** How the job must end for the demo to pass. */
  expect: 'succeeded' | 'failed';
}

export interface Finished {
  item: BatchItem;
  job: Job;
  settlement: Settlement | undefined;
  /** How the workload ended: "succeeded", or "failed" with the job's end reason. */
  end: string;
  ok: boolean;
  why: string;
}

const template = (region: string, urgency: string, i: number): JobRequest['template'] => {
  if (i === 0)
    return {
      name: 'stable-diffusion',
      parameters: { prompt: `a lighthouse at dawn, ${region}`, steps: 20 + i },
    };
  if (i === 1)
    return {
      name: 'unreal-render',
      parameters: {
        projectUri: 's3://starminer-demo/city.zip',
        frameStart: 1,
        frameEnd: 24,
        framesPerJob: 24,
      },
    };
  // llm-finetune needs 40 GB GPUs, which ap-south's RTX 4090 pool does not have.
  return region === 'ap-south'
    ? {
        name: 'stable-diffusion',
        parameters: { prompt: `monsoon clouds, ${urgency}`, resolution: '768x768' },
      }
    : {
        name: 'llm-finetune',
        parameters: {
          baseModel: 'meta-llama/Llama-3.1-8B',
          datasetUri: 's3://starminer-demo/support.jsonl',
          epochs: 1,
        },
      };
};

/**
 * 3 regions x 4 urgencies x 3 workloads = 36 jobs that must succeed, plus 2 whose simulated pod
 * fails (their escrow must still be closed on chain). Runtimes are short simulated ones.
 */
export function batch(clients: DemoClient[], regions: string[]): BatchItem[] {
  const items: BatchItem[] = [];
  let n = 0;
  for (const region of regions)
    for (const urgency of URGENCIES)
      for (let i = 0; i < 3; i++)
        items.push({
          client: clients[n % clients.length]!,
          request: {
            template: template(region, urgency, i),
            urgency,
            regionPreference: [region],
            // Urgent work is interactive here: it must run within 50 ms of its users' region.
            // Low and normal urgency is batch work the matchmaker may place in any region.
            ...(urgency === 'high' || urgency === 'critical'
              ? { latency: { mode: 'interactive' as const, clientRegion: region, maxRttMs: 50 } }
              : {}),
            simulation: { runtime: `${3 + (n++ % 6)}s` },
          },
          expect: 'succeeded',
        });
  for (const region of regions.slice(0, 2))
    items.push({
      client: clients[n++ % clients.length]!,
      request: {
        template: {
          name: 'stable-diffusion',
          parameters: { prompt: 'a job whose container exits 3' },
        },
        urgency: 'normal',
        regionPreference: [region],
        simulation: { runtime: '2s', fail: true, exitCode: 3 },
      },
      expect: 'failed',
    });
  return items;
}

/** Submits and funds every item (each client one at a time), follows all, checks each end. */
export async function runBatch(
  items: BatchItem[],
  out: { write: (s: string) => void; live: boolean; timeoutMs: number },
): Promise<Finished[]> {
  const display = new ProgressDisplay(out.write, out.live);
  const byClient = new Map<DemoClient, BatchItem[]>();
  for (const it of items) byClient.set(it.client, [...(byClient.get(it.client) ?? []), it]);
  const submitted: Array<{ item: BatchItem; job: Job }> = [];
  await Promise.all(
    [...byClient].map(async ([client, list]) => {
      for (const item of list) {
        const r = await client.client.submit(item.request, { fund: true });
        for (const job of r.jobs) {
          submitted.push({ item, job });
          display.add(job, `${job.template}${item.expect === 'failed' ? ' (fails)' : ''}`);
        }
      }
    }),
  );
  out.write(`${submitted.length} jobs submitted and funded; following them\n`);
  return Promise.all(
    submitted.map(async ({ item, job }): Promise<Finished> => {
      let sawFailure = false;
      const ended = await item.client.client.waitFor(job.jobId, {
        timeoutMs: out.timeoutMs,
        onProgress: (e) => {
          if (e.state === 'FAILED') sawFailure = true;
          display.update(e);
        },
      });
      const settlement = await item.client.client.settlement(job.jobId);
      const failed = sawFailure || ended.endReason !== '';
      const ok =
        ended.state === 'SETTLED' &&
        settlement !== undefined &&
        (item.expect === 'failed' ? failed : !failed && settlement.kind === 'settled');
      const why = ok
        ? ''
        : `expected ${item.expect} and settled, got ${ended.state}${ended.endReason ? ` (${ended.endReason})` : ''}${settlement ? `, escrow ${settlement.kind}` : ', escrow not closed'}`;
      const end = failed ? `failed${ended.endReason ? ` (${ended.endReason})` : ''}` : 'succeeded';
      return { item, job: ended, settlement, end, ok, why };
    }),
  );
}

export function summary(done: Finished[]): string[] {
  const rows = done.map(({ job, settlement, end, ok }) => {
    const cls = job.quote ? resolveGpuClass(job.quote.gpuProduct) : '';
    const runtime = job.gpu.count ? Math.round(job.gpuSeconds / job.gpu.count) : 0;
    return [
      shortId(job.jobId),
      job.template,
      job.quote ? `${cls}/${job.quote.region}/${job.urgency}` : '',
      job.placement?.region ?? '',
      job.placement?.provider ? `${job.placement.provider.slice(0, 10)}…` : '',
      job.quote ? perGpuHour(job.quote.pricePerGpuSecond) : '',
      `${runtime}s x${job.gpu.count}`,
      end,
      agpu(job.cost),
      settlement ? `${settlement.kind} ${settlement.txHash}` : '-',
      ok ? 'ok' : 'NOT OK',
    ];
  });
  return table(
    [
      'JOB',
      'TEMPLATE',
      'TIER',
      'REGION',
      'PROVIDER',
      'PRICE',
      'RUNTIME',
      'END',
      'COST',
      'SETTLEMENT TX',
      '',
    ],
    rows,
  );
}
