/** Where a command writes, and how it ends: injectable so tests can run commands in process. */
export interface Io {
  out(s: string): void;
  isTTY: boolean;
  /** Prints `data` as JSON with --json, else the human lines. */
  result(json: boolean | undefined, data: Record<string, unknown>, human: string[]): void;
  /** Sets the exit code a finished command reports (e.g. 1 when a watched job failed). */
  exit(code: number): void;
  exitCode: number;
}

export function processIo(): Io {
  const io: Io = {
    out: (s) => void process.stdout.write(s),
    isTTY: process.stdout.isTTY === true,
    result: (json, data, human) =>
      io.out(json ? `${JSON.stringify(data)}\n` : human.length ? `${human.join('\n')}\n` : ''),
    exit: (code) => {
      io.exitCode = code;
    },
    exitCode: 0,
  };
  return io;
}
