// Compiles Solidity with the pinned solc npm package (solcjs): no compiler download, same bytes everywhere.
import fs from 'node:fs';
import path from 'node:path';
// solc ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { version(): string; compile(input: string, opts: object): string };

export const CONTRACTS_DIR = path.resolve(__dirname, '..');
export const SOURCES_DIR = path.join(CONTRACTS_DIR, 'src');

/** Settings are part of the bytecode's metadata: change them only with a regeneration. */
export const COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  // Cancun: supported by anvil and every chain the protocol targets; newer opcodes are not needed.
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

export interface Artifact {
  contractName: string;
  sourceName: string;
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
}

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<
      string,
      {
        abi: unknown[];
        evm: { bytecode: { object: string }; deployedBytecode: { object: string } };
      }
    >
  >;
}

export function solcVersion(): string {
  return solc.version();
}

/** Resolves `@openzeppelin/...` and sibling imports; source unit names stay relative so metadata is portable. */
function findImport(importPath: string): { contents: string } | { error: string } {
  try {
    const file = importPath.startsWith('@')
      ? require.resolve(importPath, { paths: [CONTRACTS_DIR] })
      : path.join(CONTRACTS_DIR, importPath);
    return { contents: fs.readFileSync(file, 'utf8') };
  } catch {
    return { error: `not found: ${importPath}` };
  }
}

/**
 * Compiles the given .sol files (paths relative to contracts/, e.g. "src/AGPU.sol") and returns one
 * artifact per contract defined in them, sorted by name. Throws with solc's messages on any error.
 */
export function compile(relativeFiles: string[]): Artifact[] {
  const sources: Record<string, { content: string }> = {};
  for (const rel of [...relativeFiles].sort()) {
    sources[rel] = { content: fs.readFileSync(path.join(CONTRACTS_DIR, rel), 'utf8') };
  }
  const input = { language: 'Solidity', sources, settings: COMPILER_SETTINGS };
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), { import: findImport }),
  ) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new Error(
      `solc ${solc.version()} failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`,
    );
  }
  const artifacts: Artifact[] = [];
  for (const sourceName of Object.keys(sources)) {
    for (const [contractName, c] of Object.entries(output.contracts?.[sourceName] ?? {})) {
      artifacts.push({
        contractName,
        sourceName,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      });
    }
  }
  return artifacts.sort((a, b) => a.contractName.localeCompare(b.contractName));
}

/** The protocol's contracts: every file in contracts/src. */
export function protocolSources(): string[] {
  return fs
    .readdirSync(SOURCES_DIR)
    .filter((f) => f.endsWith('.sol'))
    .sort()
    .map((f) => `src/${f}`);
}
