import { Command, CommanderError } from 'commander';
import { nodeCommand } from './commands/node';
import { CliError, ExitCode } from './errors';

/** The starminer command tree; each area (node, job, ...) adds its own subcommand. */
export function program(): Command {
  return new Command('starminer')
    .description('StarMiner command line')
    .exitOverride()
    .showHelpAfterError()
    .addCommand(nodeCommand());
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function run(
  argv: string[],
  stderr: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    if (err instanceof CliError) {
      stderr(`error: ${err.message}\n`);
      return err.exitCode;
    }
    stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.failed;
  }
}
