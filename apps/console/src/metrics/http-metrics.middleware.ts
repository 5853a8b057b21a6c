import type { NextFunction, Request, Response } from '../common/http.js';
import type { MetricsService } from './metrics.service.js';

/** Observes every request's latency, labelled by the matched route template (bounded cardinality). */
export function httpMetricsMiddleware(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const end = metrics.httpRequestDuration.startTimer();
    res.on('finish', () => {
      const tmpl = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof tmpl === 'string' ? `${req.baseUrl}${tmpl}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
