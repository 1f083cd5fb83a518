import * as k8s from '@kubernetes/client-node';

/** Kubernetes clients of one region, from its kubeconfig file. */
export interface RegionClient {
  region: string;
  config: k8s.KubeConfig;
  core: k8s.CoreV1Api;
}

export function regionClient(region: string, kubeconfigFile: string): RegionClient {
  const config = new k8s.KubeConfig();
  config.loadFromFile(kubeconfigFile);
  return { region, config, core: config.makeApiClient(k8s.CoreV1Api) };
}

/** HTTP status of a client-node error, when it has one. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  const code = typeof e?.code === 'number' ? e.code : e?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
