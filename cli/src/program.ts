import { Command, CommanderError } from 'commander';
import { accountCommands } from './commands/account';
import { jobCommands } from './commands/jobs';
import { nodeCommand } from './commands/node';
import { CliError, ExitCode, fromSdkError, isSdkError } from './errors';
import { type Io, processIo } from './io';

/** The starminer command tree: client commands, account commands, and `node` for operators. */
export function program(io: Io = processIo()): Command {
  const p = new Command('starminer')
    .description('StarMiner command line: run GPU jobs, follow them, manage funds and nodes')
    .exitOverride()
    .showHelpAfterError();
  for (const c of [...jobCommands(io), ...accountCommands(io), nodeCommand()]) p.addCommand(c);
  // Every subcommand reports usage errors through the same override as the root.
  const override = (c: Command): void => {
    for (const sub of c.commands) {
      sub.exitOverride().showHelpAfterError();
      override(sub);
    }
  };
  override(p);
  return p;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function run(
  argv: string[],
  stderr: (s: string) => void = (s) => process.stderr.write(s),
  io: Io = processIo(),
): Promise<number> {
  try {
    await program(io).parseAsync(argv, { from: 'user' });
    return io.exitCode;
  } catch (raw) {
    if (raw instanceof CommanderError) return raw.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    const err = isSdkError(raw) ? fromSdkError(raw) : raw;
    if (err instanceof CliError) {
      stderr(`error: ${err.message}\n${err.details.map((d) => `  ${d}\n`).join('')}`);
      return err.exitCode;
    }
    stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.failed;
  }
}
