import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Request counts and latencies by method, route pattern (`/v1/shipments/:id`, never the id
 * itself: bounded label values) and status, into `registry`.
 */
export function requestMetrics(registry: Registry) {
  const requests = new Counter({
    name: 'coldchain_api_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'coldchain_api_request_duration_seconds',
    help: 'Time to the response headers, by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return createMiddleware(async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const matched = routePath(c, -1);
      const route = matched.endsWith('*') ? 'unmatched' : matched;
      const labels = { method: c.req.method, route };
      duration.observe(labels, (performance.now() - started) / 1000);
      requests.inc({ ...labels, status: String(c.res.status) });
    }
  });
}
