import { type Job, type WatchEvent } from '@starminer/sdk';
import { agpu, shortId, table } from './format';

interface Row {
  id: string;
  label: string;
  state: string;
  progress: number;
  region: string;
  provider: string;
  cost: string;
}

/**
 * Live progress of one or more jobs. On a terminal it redraws a compact table in place; anywhere
 * else (pipes, CI logs) it prints one line per state change, so logs stay readable.
 */
export class ProgressDisplay {
  private readonly rows = new Map<string, Row>();
  private drawn = 0;

  constructor(
    private readonly write: (s: string) => void,
    private readonly live: boolean,
    private readonly now: () => Date = () => new Date(),
  ) {}

  add(job: Pick<Job, 'jobId' | 'state' | 'template'>, label = job.template): void {
    this.rows.set(job.jobId, {
      id: job.jobId,
      label,
      state: job.state,
      progress: 0,
      region: '',
      provider: '',
      cost: '',
    });
  }

  update(e: WatchEvent): void {
    const r = this.rows.get(e.jobId);
    if (!r) return;
    r.state = e.state;
    r.progress = e.progressPercent;
    if (e.job?.placement) {
      r.region = e.job.placement.region;
      r.provider = e.job.placement.provider;
    }
    if (e.job && e.job.cost !== '0') r.cost = agpu(e.job.cost);
    if (this.live) this.redraw();
    else
      this.write(
        `${this.now().toISOString().slice(11, 19)}  ${shortId(r.id)}  ${r.label.padEnd(24)}  ${r.state.padEnd(10)} ${String(r.progress).padStart(3)}%${r.region ? `  ${r.region}` : ''}\n`,
      );
  }

  private redraw(): void {
    const bar = (p: number) =>
      `${'#'.repeat(Math.round(p / 10)).padEnd(10, '.')} ${String(p).padStart(3)}%`;
    const lines = table(
      ['JOB', 'TEMPLATE', 'STATE', 'PROGRESS', 'REGION', 'PROVIDER', 'COST'],
      [...this.rows.values()].map((r) => [
        shortId(r.id),
        r.label,
        r.state,
        bar(r.progress),
        r.region,
        r.provider.slice(0, 10),
        r.cost,
      ]),
    );
    const counts = new Map<string, number>();
    for (const r of this.rows.values()) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    lines.push(`${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`);
    // Move up over the previous frame and overwrite it.
    this.write(
      `${this.drawn ? `\x1b[${this.drawn}F` : ''}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`,
    );
    this.drawn = lines.length;
  }
}
