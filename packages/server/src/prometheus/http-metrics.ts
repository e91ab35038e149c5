/**
 * agentmon's own HTTP traffic as Prometheus families: requests by route template, method and status
 * (refused ingest shows here as 400, 413, 503 by route) and their durations as a histogram. Routes
 * are labelled by their template (`/api/v1/agents/:id/metrics`), never by the URL, so the series
 * stay as few as the routes; the dashboard's files and /docs count as `other`, a request no route
 * matched as `unmatched`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Exposition } from './exposition.js';

/** Prometheus' default buckets, seconds: from a cached answer to a slow fleet-wide query. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** Counts requests and their durations; the Prometheus route writes them. */
export class HttpMetrics {
  private readonly requests = new Map<string, { method: string; route: string; status: string; n: number }>();
  private readonly durations = new Map<string, { method: string; route: string; h: Histogram }>();

  /** Records one answered request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    const r = this.requests.get(key);
    if (r) r.n += 1;
    else this.requests.set(key, { method, route, status: String(status), n: 1 });
    const dkey = `${method} ${route}`;
    let d = this.durations.get(dkey);
    if (d === undefined) {
      d = { method, route, h: { counts: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 } };
      this.durations.set(dkey, d);
    }
    const h = d.h;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) if (seconds <= (DURATION_BUCKETS[i] as number)) h.counts[i] = (h.counts[i] as number) + 1;
    h.sum += seconds;
    h.count += 1;
  }

  /** Writes the families. */
  write(out: Exposition): void {
    const requests = out.family('agentmon_http_requests_total', 'counter', 'HTTP requests answered by this instance, by method, route template and status');
    for (const r of this.requests.values()) requests(r.n, { method: r.method, route: r.route, status: r.status });
    const durations = out.histogram('agentmon_http_request_duration_seconds', 'Time to answer HTTP requests, by method and route template, seconds', DURATION_BUCKETS);
    for (const d of this.durations.values()) durations(d.h.counts, d.h.sum, d.h.count, { method: d.method, route: d.route });
  }

  /** Installs the hook that records every answered request of `app`. */
  install(app: FastifyInstance): void {
    app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
      const options = request.routeOptions;
      const hidden = (options.schema as { hide?: boolean } | undefined)?.hide === true;
      const route = options.url === undefined ? 'unmatched' : hidden ? 'other' : options.url;
      this.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    });
  }
}
