export * from './gen';
export { buildInfo } from './gen/build-info';
export * from './deployments';
export * from './quote';
export * from './reward-tree';
export * from './roles';
export * from './ids';
export * from './errors';
