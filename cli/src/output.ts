/** Prints a result as JSON (--json) or as human-readable lines. */
export interface Output {
  result(data: Record<string, unknown>, human: string[]): void;
}

export function output(
  json: boolean,
  write: (s: string) => void = (s) => process.stdout.write(s),
): Output {
  return {
    result: (data, human) => write(json ? `${JSON.stringify(data)}\n` : `${human.join('\n')}\n`),
  };
}
