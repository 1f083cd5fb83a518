/** Exit codes of the starminer command. */
export const ExitCode = {
  ok: 0,
  /** Unexpected failure. */
  failed: 1,
  /** Bad arguments: what was wrong and what is accepted is printed. */
  usage: 2,
  /** The node (or another named object) does not exist. */
  notFound: 3,
  /** The Kubernetes API could not be reached or refused the change. */
  kubernetes: 4,
} as const;

/** An error the CLI reports as one clear line, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
