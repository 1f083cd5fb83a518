import { type GpuClass } from '@starminer/gpu-catalogue';
import { type Urgency } from './tier';

/**
 * The pricing engine's input log: registry and job events reduced to what moves a price, plus
 * the interval ticks at which prices were computed. This log, in order, is everything a replay
 * needs: the service records each entry as it applies it, the compare and simulate commands
 * read and write it as JSON lines. `at` is unix milliseconds (the event's occurred_at).
 */
export type SignalEvent =
  | {
      kind: 'node-up';
      at: number;
      node: string;
      region: string;
      gpuClass: GpuClass;
      gpus: number;
      vramMiB: number;
    }
  | { kind: 'node-down'; at: number; node: string }
  | { kind: 'node-restored'; at: number; node: string }
  | { kind: 'node-removed'; at: number; node: string }
  | {
      kind: 'job-queued';
      at: number;
      jobId: string;
      region: string;
      gpuClass: GpuClass;
      urgency: Urgency;
      gpus: number;
      /** Highest price per GPU-second the client accepts, when known (compare command). */
      maxPricePerGpuSecond?: bigint;
    }
  | {
      kind: 'job-matched';
      at: number;
      jobId: string;
      region: string;
      gpuClass: GpuClass;
      gpus: number;
      /** Node key ("<region>/<node>") the GPUs are reserved on, when known: its class wins. */
      node?: string;
    }
  | { kind: 'job-rerouted'; at: number; jobId: string; region: string }
  | { kind: 'job-ended'; at: number; jobId: string; outcome: JobOutcome }
  | { kind: 'tick'; at: number };

/** How a job left the market: only "unfilled" ones count against the fill rate. */
export type JobOutcome = 'finished' | 'unfilled' | 'cancelled';

export type SignalKind = SignalEvent['kind'];
