import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { Readiness, type ReadinessReport } from '../readiness/readiness';

/**
 * /healthz: the process is alive and its event loop answers (never depends on another process,
 * so a database outage does not get the pod restarted).
 * /readyz: 200 only when every readiness check passes; 503 naming each failing dependency.
 */
@Controller()
export class HealthController {
  constructor(private readonly readiness: Readiness) {}

  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(): Promise<ReadinessReport> {
    const report = await this.readiness.evaluate();
    if (!report.ready) {
      const failing = report.checks.filter((c) => !c.ok);
      throw new ServiceUnavailableException({ status: 'not ready', ...report, failing });
    }
    return report;
  }
}
