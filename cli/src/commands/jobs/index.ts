import { Command } from 'commander';
import { type Job, type JobState, JOB_STATES } from '@starminer/sdk';
import { clientFor, type GatewayOptions, withGatewayOptions } from '../../context';
import { CliError, ExitCode } from '../../errors';
import { agpu, JOB_HEADER, jobRow, perGpuHour, table } from '../../format';
import { type RequestFlags, requestFromFlags } from '../../job-request';
import { type Io } from '../../io';
import { watchJobs } from './watch-jobs';

type Opts = GatewayOptions & RequestFlags;

const requestOptions = (cmd: Command) =>
  cmd
    .option('-t, --template <name>', 'template to expand (see `starminer templates`)')
    .option('--template-version <version>', 'template version (default: the latest)')
    .option(
      '-p, --param <name=value>',
      'template parameter, repeatable',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('-f, --file <job.yaml>', 'job file (YAML or JSON), instead of --template')
    .option('-u, --urgency <urgency>', 'low, normal, high or critical')
    .option('-r, --region <regions>', 'preferred regions, best first, comma-separated')
    .option('--max-price <baseUnits>', 'highest total price accepted, AGPU base units');

/** templates, quote, submit, watch, jobs, cancel: what a client runs. */
export function jobCommands(io: Io): Command[] {
  const templates = withGatewayOptions(
    new Command('templates')
      .description('list workload templates, or describe one and its parameters')
      .argument('[name]', 'template to describe'),
  ).action(async (name: string | undefined, o: Opts) => {
    const { client, close } = await clientFor(o, { auth: false });
    try {
      if (!name) {
        const list = await client.templates();
        return io.result(o.json, { templates: list }, [
          ...table(
            ['NAME', 'VERSION', 'CLASS', 'TITLE'],
            list.map((t) => [t.name, t.version, t.jobClass, t.title]),
          ),
        ]);
      }
      const t = await client.template(name);
      const params = Object.entries(t.parameters).map(([k, v]) => {
        const p = v as {
          type?: string;
          required?: boolean;
          default?: unknown;
          description?: string;
        };
        return [
          k,
          String(p.type ?? ''),
          p.required ? 'yes' : '',
          p.default === undefined ? '' : JSON.stringify(p.default),
          String(p.description ?? ''),
        ];
      });
      io.result(o.json, { template: t }, [
        `${t.name} ${t.version} (${t.jobClass}): ${t.title}`,
        t.description,
        '',
        ...table(['PARAMETER', 'TYPE', 'REQUIRED', 'DEFAULT', 'DESCRIPTION'], params),
      ]);
    } finally {
      close();
    }
  });

  const quote = requestOptions(
    withGatewayOptions(
      new Command('quote').description(
        'price a job in every tier that can run it; creates nothing',
      ),
    ),
  ).action(async (o: Opts) => {
    const req = requestFromFlags(o);
    const { client, close } = await clientFor(o);
    try {
      const results = await client.quote(req);
      const rows: string[][] = [];
      results.forEach((r, part) => {
        if (!r.feasible) rows.push([String(part + 1), 'infeasible', '', '', '', r.message]);
        else
          for (const offer of r.offers)
            rows.push([
              String(part + 1),
              `${offer.tier.gpuClass}/${offer.tier.region}/${offer.tier.urgency}`,
              perGpuHour(offer.pricePerGpuSecond),
              agpu(offer.maxTotal),
              String(offer.freeGpus),
              offer.estimatedStart ?? '',
            ]);
      });
      io.result(o.json, { quotes: results }, [
        ...table(['PART', 'TIER', 'PRICE', 'MAX DEPOSIT', 'FREE GPUS', 'EST. START'], rows),
      ]);
      if (results.every((r) => !r.feasible))
        throw new CliError('no tier can run this job', ExitCode.usage);
    } finally {
      close();
    }
  });

  const submit = requestOptions(
    withGatewayOptions(
      new Command('submit').description(
        'submit a job from a template or a job file, fund its escrow and (with --watch) follow it',
      ),
    ),
  )
    .option('--no-fund', 'do not fund the escrow (fund later; the quote expires)')
    .option('-w, --watch', 'follow the job with a live progress display until it is settled')
    .option('--idempotency-key <key>', 'a resubmission with the same key returns the same job')
    .option(
      '--simulate <runtime>',
      'local stack only: the simulated GPU node runs the pod this long, e.g. 5s',
    )
    .option(
      '--simulate-fail <exitCode>',
      'local stack only: the simulated pod fails with this exit code',
    )
    .action(
      async (
        o: Opts & {
          fund: boolean;
          watch?: boolean;
          idempotencyKey?: string;
          simulate?: string;
          simulateFail?: string;
        },
      ) => {
        const req = requestFromFlags(o);
        if (o.idempotencyKey) req.idempotencyKey = o.idempotencyKey;
        if (o.simulate || o.simulateFail)
          req.simulation = {
            runtime: o.simulate ?? '5s',
            ...(o.simulateFail ? { fail: true, exitCode: Number(o.simulateFail) } : {}),
          };
        const { client, close } = await clientFor(o, { wallet: o.fund });
        try {
          const r = await client.submit(req, { fund: o.fund });
          const funded = new Map(r.funding.map((f) => [f.jobId, f]));
          if (o.json && !o.watch) return io.result(true, { jobs: r.jobs, funding: r.funding }, []);
          if (!o.json)
            io.out(
              [
                ...table(
                  ['JOB', 'TEMPLATE', 'STATE', 'TIER REGION', 'PRICE', 'DEPOSIT', 'FUNDING TX'],
                  r.jobs.map((j) => [
                    j.jobId,
                    j.template,
                    j.state,
                    j.quote?.region ?? '',
                    j.quote ? perGpuHour(j.quote.pricePerGpuSecond) : '',
                    j.quote ? agpu(j.quote.total) : '',
                    funded.get(j.jobId)?.txHash ?? (o.fund ? '' : 'not funded'),
                  ]),
                ),
                ...(o.watch
                  ? ['']
                  : [`follow it with: starminer watch ${r.jobs.map((j) => j.jobId).join(' ')}`]),
              ].join('\n') + '\n',
            );
          if (!o.watch) return;
          const w = await watchJobs(client, r.jobs, {
            json: !!o.json,
            write: io.out,
            live: io.isTTY,
          });
          printEnded(io, o.json, w.jobs);
          io.exit(w.exitCode);
        } finally {
          close();
        }
      },
    );

  const watch = withGatewayOptions(
    new Command('watch')
      .description('follow jobs with a live progress display until they are settled')
      .argument('<jobId...>', 'job ids')
      .option(
        '--until <when>',
        "'final' (settled, cancelled, expired) or 'ended' (workload over)",
        'final',
      ),
  ).action(async (ids: string[], o: GatewayOptions & { until: string }) => {
    if (o.until !== 'final' && o.until !== 'ended')
      throw new CliError(`--until ${o.until} is not valid`, ExitCode.usage, [
        'accepted: final, ended',
      ]);
    const { client, close } = await clientFor(o);
    try {
      const jobs = await Promise.all(ids.map((id) => client.getJob(id)));
      const w = await watchJobs(
        client,
        jobs,
        { json: !!o.json, write: io.out, live: io.isTTY },
        o.until,
      );
      printEnded(io, o.json, w.jobs);
      io.exit(w.exitCode);
    } finally {
      close();
    }
  });

  const jobs = withGatewayOptions(
    new Command('jobs')
      .description('list your jobs (newest first), or show one')
      .argument('[jobId]', 'a job to show in full')
      .option('--state <state>', `only jobs in this state (${JOB_STATES.join(', ')})`)
      .option('--template <name>', 'only jobs of this template')
      .option('--region <region>', 'only jobs placed in or preferring this region')
      .option('--limit <n>', 'at most this many (1-200)', '50'),
  ).action(
    async (
      jobId: string | undefined,
      o: GatewayOptions & { state?: string; template?: string; region?: string; limit: string },
    ) => {
      if (o.state && !JOB_STATES.includes(o.state.toUpperCase() as JobState))
        throw new CliError(`--state ${o.state} is not a job state`, ExitCode.usage, [
          `accepted: ${JOB_STATES.join(', ')}`,
        ]);
      const { client, close } = await clientFor(o);
      try {
        if (jobId) {
          const j = await client.getJob(jobId);
          return io.result(o.json, { job: j }, describeJob(j));
        }
        const res = await client.listJobs({
          ...(o.state ? { state: o.state.toUpperCase() as JobState } : {}),
          ...(o.template ? { template: o.template } : {}),
          ...(o.region ? { region: o.region } : {}),
          pageSize: Number(o.limit),
        });
        io.result(o.json, res, table(JOB_HEADER, res.jobs.map(jobRow)));
      } finally {
        close();
      }
    },
  );

  const cancel = withGatewayOptions(
    new Command('cancel')
      .description('cancel a job; its unused deposit is refunded at settlement')
      .argument('<jobId>', 'job id')
      .option('--reason <text>', 'why, kept with the job'),
  ).action(async (jobId: string, o: GatewayOptions & { reason?: string }) => {
    const { client, close } = await clientFor(o);
    try {
      const j = await client.cancel(jobId, o.reason ?? '');
      io.result(o.json, { job: j }, [`job ${j.jobId} ${j.state}`]);
    } finally {
      close();
    }
  });

  return [templates, quote, submit, watch, jobs, cancel];
}

function describeJob(j: Job): string[] {
  return [
    `job        ${j.jobId}`,
    `state      ${j.state}${j.endReason ? ` (${j.endReason})` : ''}`,
    `template   ${j.template || '-'}   image ${j.image}`,
    `gpu        ${j.gpu.count} x ${j.gpu.product || `>= ${j.gpu.minVramMib} MiB`}   class ${j.jobClass}   urgency ${j.urgency}`,
    `regions    ${j.regionPreference.join(', ') || 'any'}`,
    `placement  ${j.placement ? `${j.placement.region} / ${j.placement.pool} / ${j.placement.provider}` : '-'}`,
    `quote      ${j.quote ? `${perGpuHour(j.quote.pricePerGpuSecond)} in ${j.quote.region}, deposit ${agpu(j.quote.total)}, expires ${j.quote.expiresAt}` : '-'}`,
    `usage      ${j.gpuSeconds} GPU-s, cost ${agpu(j.cost)}, attempt ${j.attempt}`,
    `submitted  ${j.submittedAt}   updated ${j.updatedAt}`,
  ];
}

function printEnded(io: Io, json: boolean | undefined, jobs: Job[]): void {
  io.result(json, { jobs }, ['', ...table(JOB_HEADER, jobs.map(jobRow))]);
}
