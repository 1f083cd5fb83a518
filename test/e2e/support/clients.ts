// Gateway clients for the e2e tests: the gateway's own test clients (REST, gRPC, SIWE).
export {
  createApiKey,
  GrpcJobClient,
  restClient,
  signIn,
  siweMessage,
  verifySiwe,
  type ApiErrorBody,
  type Creds,
} from '../../../services/gateway/test/support/gateway-client';

/** A stable-diffusion job as the REST API takes it: small, quick, one GPU. */
export const sdJob = (over: Record<string, unknown> = {}) => ({
  template: { name: 'stable-diffusion', parameters: { prompt: 'a red fox', steps: 20 } },
  ...over,
});
