/**
 * Alerts as bands on an agent's charts. A chart averages its bucket, so an incident of minutes is a
 * sliver on a day and nothing on a week; the band says when the alert fired and for how long,
 * drawn on the chart of the metric it is about (and every alert of the agent's health on the
 * health score chart, since they are what moved it).
 */
import type { AlertDetail } from '@agentmon/schema';

/** An alert's time on a chart: a band from when it fired to when it resolved (or now). */
export interface ChartIncident {
  /** Epoch seconds. */
  from: number;
  to: number;
  severity: 'critical' | 'warning' | 'info';
  label: string;
}

/** The metrics each chart of the agent page draws, by its test id. */
export const CHART_METRICS: Readonly<Record<string, readonly string[]>> = {
  'chart-resources': ['cpu_usage_percent', 'memory_usage_percent'],
  'chart-memory-bytes': ['memory_usage_bytes', 'memory_usage_percent'],
  'chart-response-time': ['average_response_time_ms'],
  'chart-error-rate': ['error_rate', 'success_rate'],
  'chart-throughput': ['throughput_per_second'],
  'chart-tokens': ['tokens_per_second'],
  'chart-latency': ['model_inference_time_ms', 'api_call_latency_ms'],
  'chart-quality': ['model_accuracy', 'confidence_score'],
};

/** An alert's band, with the metric it is about. */
export interface MetricIncident extends ChartIncident {
  metric: string;
}

/** Budget alerts are about spend, not the agent's health: no chart of the agent shows them. */
const BUDGET_PREFIX = 'budget:';

/** The bands of `alerts` that overlap [startS, endS]; an active alert lasts until `nowS`. */
export function incidentBands(alerts: readonly AlertDetail[], startS: number, endS: number, nowS: number): MetricIncident[] {
  const out: MetricIncident[] = [];
  for (const a of alerts) {
    const metric = a.metric_name ?? '';
    if (metric.startsWith(BUDGET_PREFIX)) continue;
    const from = Date.parse(a.created_at) / 1000;
    const to = a.resolved_at ? Date.parse(a.resolved_at) / 1000 : nowS;
    if (!(to >= startS && from <= endS)) continue;
    out.push({ metric, from, to, severity: a.severity, label: a.title });
  }
  return out.sort((x, y) => x.from - y.from);
}

/** The bands a chart shows: those of its metrics; the health score chart shows them all. */
export function bandsFor(testId: string, bands: readonly MetricIncident[]): ChartIncident[] {
  if (testId === 'chart-health') return [...bands];
  const metrics = testId.startsWith('chart-custom-') ? [`custom.${testId.slice('chart-custom-'.length)}`] : (CHART_METRICS[testId] ?? []);
  return bands.filter((b) => metrics.includes(b.metric));
}
