import { commonV1 } from '@starminer/proto';
import { resolveGpuClass } from '@starminer/gpu-catalogue';

/** One reason a job spec was refused: the field path and what is accepted there. */
export interface FieldViolation {
  field: string;
  reason: string;
}

/** What validation needs to know about the deployment. */
export interface SpecLimits {
  /** Region names of the regions file. */
  regions: readonly string[];
  /** Longest max_duration_seconds accepted. */
  maxDurationSeconds: number;
  /** Most GPUs one job may ask for (the largest node). */
  maxGpusPerJob: number;
  /** Whether the simulation block is honoured (local clusters only). */
  simulationAllowed: boolean;
}

export interface SimulationSpec {
  runtime: string;
  fail: boolean;
  exitCode: number;
}

const DIGITS = /^(0|[1-9][0-9]*)$/;
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
// An OCI reference: [registry/]path[:tag][@digest], lower-case path components.
const IMAGE_REF =
  /^([a-z0-9.-]+(:[0-9]+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/**
 * Checks a job spec field by field. Returns every violation at once (empty when valid) so a
 * client fixes its request in one round trip.
 */
export function validateJobSpec(
  spec: commonV1.JobSpec | undefined,
  limits: SpecLimits,
  simulation?: SimulationSpec,
): FieldViolation[] {
  const v: FieldViolation[] = [];
  if (!spec) return [{ field: 'spec', reason: 'is required' }];
  const w = spec.workload;
  if (!w || !w.image)
    v.push({ field: 'spec.workload.image', reason: 'is required: an OCI image reference' });
  else if (!IMAGE_REF.test(w.image))
    v.push({
      field: 'spec.workload.image',
      reason: `"${w.image}" is not an OCI image reference (registry/path:tag or @sha256:digest)`,
    });
  for (const name of Object.keys(w?.env ?? {})) {
    if (!ENV_NAME.test(name))
      v.push({
        field: `spec.workload.env.${name}`,
        reason: 'is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_.-]*)',
      });
    if (name.startsWith('STARMINER_'))
      v.push({
        field: `spec.workload.env.${name}`,
        reason: 'the STARMINER_ prefix is reserved for the platform',
      });
  }

  const gpu = spec.gpu;
  if (!gpu)
    v.push({
      field: 'spec.gpu',
      reason: 'is required: a GPU product or a minimum VRAM, and a count',
    });
  else {
    if (!Number.isInteger(gpu.count) || gpu.count < 1 || gpu.count > limits.maxGpusPerJob)
      v.push({
        field: 'spec.gpu.count',
        reason: `must be between 1 and ${limits.maxGpusPerJob} (GPUs on one node)`,
      });
    if (gpu.product && resolveGpuClass(gpu.product) === 'unknown')
      v.push({
        field: 'spec.gpu.product',
        reason: `"${gpu.product}" is not a known GPU class or nvidia.com/gpu.product label`,
      });
    if (!gpu.product && gpu.minVramMib <= 0)
      v.push({ field: 'spec.gpu', reason: 'name a product or a min_vram_mib above 0' });
  }

  if (spec.jobClass === commonV1.JobClass.UNRECOGNIZED)
    v.push({
      field: 'spec.job_class',
      reason: 'must be training, inference, rendering or other (or unset to derive it)',
    });
  if (![1, 2, 3, 4].includes(spec.urgency))
    v.push({ field: 'spec.urgency', reason: 'must be low, normal, high or critical' });

  const mode = spec.latency?.mode;
  if (mode?.$case === 'interactive') {
    if (!limits.regions.includes(mode.value.clientRegion))
      v.push({
        field: 'spec.latency.interactive.client_region',
        reason: `"${mode.value.clientRegion}" is not a region; accepted: ${limits.regions.join(', ')}`,
      });
    if (mode.value.maxRttMs <= 0)
      v.push({ field: 'spec.latency.interactive.max_rtt_ms', reason: 'must be above 0' });
  }
  spec.regionPreference.forEach((r, i) => {
    if (!limits.regions.includes(r))
      v.push({
        field: `spec.region_preference[${i}]`,
        reason: `"${r}" is not a region; accepted: ${limits.regions.join(', ')}`,
      });
  });
  if (new Set(spec.regionPreference).size !== spec.regionPreference.length)
    v.push({ field: 'spec.region_preference', reason: 'lists a region twice' });

  const maxPrice = spec.maxPrice?.baseUnits ?? '';
  if (!DIGITS.test(maxPrice) || maxPrice === '0')
    v.push({
      field: 'spec.max_price.base_units',
      reason: 'must be a positive decimal integer of token base units',
    });
  if (spec.maxDurationSeconds < 1 || spec.maxDurationSeconds > limits.maxDurationSeconds)
    v.push({
      field: 'spec.max_duration_seconds',
      reason: `must be between 1 and ${limits.maxDurationSeconds}`,
    });

  if (simulation) {
    if (!limits.simulationAllowed)
      v.push({
        field: 'simulation',
        reason: 'is accepted only by a matchmaker started with SIMULATION_ANNOTATIONS=true',
      });
    else {
      if (!GO_DURATION.test(simulation.runtime))
        v.push({
          field: 'simulation.runtime',
          reason: `"${simulation.runtime}" is not a Go duration such as "5s"`,
        });
      if (simulation.fail && (simulation.exitCode < 1 || simulation.exitCode > 255))
        v.push({
          field: 'simulation.exit_code',
          reason: 'must be between 1 and 255 for a failing run',
        });
    }
  }
  return v;
}

/**
 * Image repositories that declare their class, best match first: a job that does not state its
 * class gets the class of the first rule whose pattern matches its image's repository. The
 * table is versioned with the service; an image no rule matches is `other`.
 */
export const IMAGE_CLASS_RULES: ReadonlyArray<{ pattern: RegExp; jobClass: commonV1.JobClass }> = [
  {
    pattern:
      /(^|\/)(vllm|tgi|text-generation-inference|triton|tritonserver|ollama|sglang)([/:-]|$)/,
    jobClass: commonV1.JobClass.JOB_CLASS_INFERENCE,
  },
  {
    pattern: /(^|\/)(blender|octane|redshift|houdini|ffmpeg)([/:-]|$)/,
    jobClass: commonV1.JobClass.JOB_CLASS_RENDERING,
  },
  {
    pattern: /(^|\/)(pytorch|tensorflow|jax|deepspeed|megatron|nemo|axolotl|torchtune)([/:-]|$)/,
    jobClass: commonV1.JobClass.JOB_CLASS_TRAINING,
  },
];

/** The job's class: as stated, else declared by its image (IMAGE_CLASS_RULES), else other. */
export function classifyJob(spec: commonV1.JobSpec): commonV1.JobClass {
  if (spec.jobClass !== commonV1.JobClass.JOB_CLASS_UNSPECIFIED) return spec.jobClass;
  const image = (spec.workload?.image ?? '').toLowerCase();
  return (
    IMAGE_CLASS_RULES.find((r) => r.pattern.test(image))?.jobClass ??
    commonV1.JobClass.JOB_CLASS_OTHER
  );
}
