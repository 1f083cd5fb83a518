import { formatUnits } from 'ethers';
import { type Job } from '@starminer/sdk';

/** Left-aligned text columns, two spaces apart, with a header row. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** AGPU base units (18 decimals) as a short decimal, e.g. "12.5 AGPU". */
export function agpu(baseUnits: string | bigint, digits = 4): string {
  const s = formatUnits(BigInt(baseUnits || 0), 18);
  const [whole, frac = ''] = s.split('.');
  const cut = frac.slice(0, digits).replace(/0+$/, '');
  return `${whole}${cut ? `.${cut}` : ''} AGPU`;
}

/** A price per GPU-second as AGPU per GPU-hour, the unit people compare. */
export function perGpuHour(pricePerGpuSecond: string): string {
  return `${agpu(BigInt(pricePerGpuSecond || 0) * 3600n, 3)}/GPU-h`;
}

/** The tail of a job id: UUIDv7 ids begin with their timestamp, so jobs of one batch share a head. */
export const shortId = (id: string): string => id.slice(-8);

/** Whether a job that is over ended well: settled without an end reason, or succeeded. */
export function outcomeOf(
  job: Pick<Job, 'state' | 'endReason'>,
  sawFailure = false,
): 'ok' | 'failed' | 'open' {
  if (job.state === 'SUCCEEDED') return 'ok';
  if (job.state === 'SETTLED') return job.endReason || sawFailure ? 'failed' : 'ok';
  if (['FAILED', 'TIMED_OUT', 'CANCELLED', 'EXPIRED'].includes(job.state)) return 'failed';
  return 'open';
}

export function jobRow(j: Job): string[] {
  return [
    j.jobId,
    j.template || j.image,
    j.state,
    j.urgency,
    j.placement?.region ?? j.regionPreference.join(',') ?? '',
    j.placement?.provider ? j.placement.provider.slice(0, 10) : '',
    j.quote ? perGpuHour(j.quote.pricePerGpuSecond) : '',
    String(j.gpuSeconds),
    j.cost === '0' ? '' : agpu(j.cost),
  ];
}

export const JOB_HEADER = [
  'JOB',
  'TEMPLATE',
  'STATE',
  'URGENCY',
  'REGION',
  'PROVIDER',
  'PRICE',
  'GPU-S',
  'COST',
];
