import { ConfigError } from './config/define-config';
import { type ServiceConfig } from './config/service-config';
import { JsonLogger, serializeError } from './logging/json-logger';
import { type RunningService, type ServiceDefinition, startService } from './start-service';

/**
 * A service's main.ts entry point. Validates the config (exit 1 with every bad variable named),
 * starts the service (exit 1 if it cannot), and on SIGTERM or SIGINT stops it gracefully and
 * exits 0; a stop that overruns SHUTDOWN_TIMEOUT_MS exits 1 so the orchestrator sees it.
 */
export async function bootstrapService<C extends ServiceConfig>(
  def: ServiceDefinition<C>,
): Promise<RunningService> {
  let config: C;
  try {
    config = def.loadConfig();
  } catch (err) {
    const logger = new JsonLogger({ service: def.name });
    if (err instanceof ConfigError) {
      logger.fatal('invalid configuration', {
        err: { code: err.code, message: err.message },
        issues: err.issues,
      });
      // Also the plain text, for a person starting the service by hand.
      process.stderr.write(`${err.message}\n`);
    } else {
      logger.fatal('could not load the configuration', { err: serializeError(err) });
    }
    process.exit(1);
  }

  const logger = new JsonLogger({ service: def.name, level: config.LOG_LEVEL });
  let running: RunningService | undefined;

  const onSignal = (signal: NodeJS.Signals) => {
    if (!running) {
      // Nothing is served yet: there is nothing to drain.
      logger.info('stop signal while starting: exiting', { signal });
      process.exit(0);
    }
    const deadline = setTimeout(() => {
      logger.fatal('graceful stop overran its deadline: exiting', {
        timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      });
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    running.stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.fatal('graceful stop failed', { err });
        process.exit(1);
      },
    );
  };
  // Once each: a second signal gets Node's default (immediate termination), the usual escape hatch.
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  try {
    running = await startService(def, config, logger);
  } catch (err) {
    logger.fatal('service failed to start', { err });
    process.exit(1);
  }
  return running;
}
