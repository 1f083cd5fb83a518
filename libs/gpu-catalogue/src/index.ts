// @starminer/gpu-catalogue: one vocabulary of GPU classes for the registry, matchmaker and pricing.
export * from './catalogue';
