// @starminer/templates: versioned workload templates that expand into job specs.
export * from './parameters';
export * from './template';
export * from './catalogue';
export { stableDiffusionV1 } from './stable-diffusion';
export { llmFinetuneV1 } from './llm-finetune';
export { unrealRenderV1, MAX_RENDER_JOBS } from './unreal-render';
