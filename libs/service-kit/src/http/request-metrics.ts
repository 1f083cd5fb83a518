import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Metrics } from '../metrics/metrics';

type RoutedRequest = IncomingMessage & { route?: { path?: string }; baseUrl?: string };

/**
 * Express-level middleware observing every request into the HTTP histogram. The route label
 * is the matched route pattern (e.g. /jobs/:id), never the raw URL, so label cardinality stays
 * bounded; requests no route matched are labelled "unmatched".
 */
export function requestMetricsMiddleware(metrics: Metrics) {
  return (req: RoutedRequest, res: ServerResponse, next: () => void): void => {
    const end = metrics.httpRequestDuration.startTimer();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl ?? ''}${req.route.path}` : 'unmatched';
      end({ method: req.method ?? 'UNKNOWN', route, status_code: String(res.statusCode) });
    });
    next();
  };
}
