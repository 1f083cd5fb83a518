import { testKafkaEnv } from '@starminer/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { databaseUrl } from './harness';

/**
 * Starts an outbox relay as a real child process (support/relay-main.ts) for one schema, in the
 * test file's Kafka namespace; resolves once it runs. Its lease holder id is `relay/<pid>`.
 */
export function startRelay(schema: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      path.join(__dirname, 'register-ts.js'),
      path.join(__dirname, 'relay-main.ts'),
      databaseUrl(),
      schema,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...testKafkaEnv() } },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code, signal) =>
      reject(new Error(`relay exited early: ${code ?? signal}`)),
    );
  });
}

/** SIGKILL (no clean stop, no lease release); resolves once the process is gone. */
export function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
