// @starminer/sdk: typed client for the StarMiner gateway (REST or gRPC). See docs/sdk.md.
export * from './types';
export * from './errors';
export * from './client';
export * from './auth';
export { type FundResult, type Settlement } from './chain';
export { escrowQuoteOf } from './escrow-quote';
export { type Transport, type Credentials } from './transport';
export { RestTransport, type RestOptions } from './rest-transport';
export { GrpcTransport, type GrpcOptions } from './grpc-transport';
export { SseParser, type SseMessage } from './sse';
export { progressOf, isFinal } from './watch';
