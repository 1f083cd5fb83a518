import { Controller, Get, Header } from '@nestjs/common';
import { Registry } from 'prom-client';
import { Metrics } from '../metrics/metrics';

/** Prometheus scrape endpoint (text exposition format). */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  async metricsText(): Promise<string> {
    return this.metrics.render();
  }
}
