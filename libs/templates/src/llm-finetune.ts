import { GIB, type TemplateDefinition, withHeadroom } from './template';

/** Hours per epoch per billion parameters on one 40 GB-class GPU, by method. */
const HOURS_PER_EPOCH_PER_B = { lora: 0.05, full: 0.4 } as const;

/** Parameter count in billions from a model id such as "meta-llama/Llama-3.1-8B" (else 7). */
function billionsOf(model: string): number {
  const m = /(\d+(?:\.\d+)?)[bB](?![a-zA-Z])/.exec(model);
  return m ? Number(m[1]) : 7;
}

export const llmFinetuneV1: TemplateDefinition = {
  name: 'llm-finetune',
  version: '1.0.0',
  title: 'LLM fine-tuning',
  description:
    'Fine-tunes a language model on a dataset with LoRA or full fine-tuning (training, several GPUs with at least 40 GB each).',
  jobClass: 'training',
  parameters: {
    baseModel: {
      type: 'string',
      description: 'Base model as an organisation/name id, e.g. meta-llama/Llama-3.1-8B.',
      required: true,
      maxLength: 200,
      pattern: '[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*',
      patternDescription: 'an organisation/name model id such as meta-llama/Llama-3.1-8B',
    },
    datasetUri: {
      type: 'string',
      description: 'Where the training data is: s3://, gs://, https:// or ipfs:// URI.',
      required: true,
      maxLength: 2000,
      pattern: '(s3|gs|https|ipfs)://[^\\s]+',
      patternDescription: 'an s3://, gs://, https:// or ipfs:// URI',
    },
    method: {
      type: 'enum',
      description: 'lora trains low-rank adapters; full updates every weight.',
      default: 'lora',
      values: ['lora', 'full'],
    },
    epochs: {
      type: 'integer',
      description: 'Passes over the dataset.',
      default: 3,
      minimum: 1,
      maximum: 20,
    },
    gpus: {
      type: 'integer',
      description: 'GPUs on one node (data parallel). Default: 2 for lora, 8 for full.',
      minimum: 2,
      maximum: 8,
    },
  },
  expand(p) {
    const method = p.method === 'full' ? 'full' : 'lora';
    const gpus = p.gpus === undefined ? (method === 'full' ? 8 : 2) : Number(p.gpus);
    const epochs = Number(p.epochs);
    const billions = billionsOf(String(p.baseModel));
    const hours = (HOURS_PER_EPOCH_PER_B[method] * billions * epochs) / gpus;
    const expected = Math.ceil(300 + hours * 3600);
    return [
      {
        label: `${method} of ${String(p.baseModel)}, ${epochs} epoch(s) on ${gpus} GPUs`,
        workload: {
          image: 'ghcr.io/starminer/templates/llm-finetune:1.0.0',
          command: ['torchrun', `--nproc_per_node=${gpus}`, '-m', 'starminer_ft.train'],
          args: [],
          env: {
            FT_BASE_MODEL: String(p.baseModel),
            FT_DATASET_URI: String(p.datasetUri),
            FT_METHOD: method,
            FT_EPOCHS: String(epochs),
          },
        },
        gpu: { product: '', count: gpus, minVramMib: 40 * GIB },
        jobClass: 'training',
        expectedDurationSeconds: expected,
        maxDurationSeconds: withHeadroom(expected),
      },
    ];
  },
};
