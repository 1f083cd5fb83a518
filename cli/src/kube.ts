import * as k8s from '@kubernetes/client-node';
import { CliError, ExitCode, KUBERNETES_EXIT } from './errors';

/** CoreV1 client from --kubeconfig, else $KUBECONFIG or ~/.kube/config (the default loader). */
export function coreApi(kubeconfig: string | undefined): k8s.CoreV1Api {
  const kc = new k8s.KubeConfig();
  try {
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new CliError(
      `cannot load kubeconfig ${kubeconfig ?? '(default)'}: ${err instanceof Error ? err.message : String(err)}`,
      ExitCode.usage,
    );
  }
  return kc.makeApiClient(k8s.CoreV1Api);
}

export function kubeError(what: string, err: unknown): CliError {
  const code = (err as { code?: number }).code;
  if (code === 404) return new CliError(`${what}: not found`, ExitCode.notFound);
  const body = (err as { body?: unknown }).body;
  const detail = typeof body === 'string' ? body : err instanceof Error ? err.message : String(err);
  return new CliError(`${what}: ${detail}`, KUBERNETES_EXIT);
}
