import { SdkError } from '@starminer/sdk';

/** Exit codes of the starminer command (docs/cli.md). Scripts may branch on them. */
export const ExitCode = {
  ok: 0,
  /** A job ended without succeeding (failed, timed out, cancelled, expired), or an unexpected error. */
  failed: 1,
  /** Bad arguments or a refused request: what was wrong and what is accepted is printed. */
  usage: 2,
  /** Credentials missing, unknown, expired, or without the needed scope. */
  auth: 3,
  /** The job, template or node does not exist (or is not yours). */
  notFound: 4,
  /** The gateway, a service behind it or a Kubernetes API could not be reached; try again later. */
  unavailable: 5,
  /** A chain transaction failed or a quote did not verify. */
  chain: 6,
} as const;

/** Kubernetes failures share the "unavailable" code. */
export const KUBERNETES_EXIT = ExitCode.unavailable;

/** An error the CLI reports as one clear line (plus field problems), with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

const BY_CODE: Record<string, number> = {
  INVALID_REQUEST: ExitCode.usage,
  CONFLICT: ExitCode.usage,
  PAYLOAD_TOO_LARGE: ExitCode.usage,
  UNSUPPORTED_MEDIA_TYPE: ExitCode.usage,
  UNAUTHENTICATED: ExitCode.auth,
  PERMISSION_DENIED: ExitCode.auth,
  NOT_FOUND: ExitCode.notFound,
  RATE_LIMITED: ExitCode.unavailable,
  DOWNSTREAM_UNAVAILABLE: ExitCode.unavailable,
  UNREACHABLE: ExitCode.unavailable,
  TIMEOUT: ExitCode.unavailable,
  QUOTE_UNVERIFIABLE: ExitCode.chain,
  CHAIN: ExitCode.chain,
  INTERNAL: ExitCode.failed,
};

/** An SDK failure as the CLI reports it: the code, the message and each field problem. */
export function fromSdkError(err: SdkError): CliError {
  const hint =
    err.code === 'UNAUTHENTICATED'
      ? ['set STARMINER_API_KEY (see `starminer login`) or STARMINER_PRIVATE_KEY to sign in']
      : err.code === 'UNREACHABLE'
        ? ['is the gateway running? set --gateway or STARMINER_GATEWAY_URL']
        : [];
  return new CliError(`${err.code}: ${err.message}`, BY_CODE[err.code] ?? ExitCode.failed, [
    ...err.fields.map((f) => `${f.field} ${f.problem} (accepted: ${f.accepted})`),
    ...hint,
  ]);
}

export const isSdkError = (e: unknown): e is SdkError => e instanceof SdkError;
