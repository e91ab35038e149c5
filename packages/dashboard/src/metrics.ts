/** What the UI knows about each metric: a label and a unit; and which chart kinds to draw. */
import type { DashboardConfig } from '@agentmon/schema';
import type { Unit } from './format.js';

const LABELS: Record<string, [string, Unit]> = {
  cpu_usage_percent: ['CPU', 'percent'],
  memory_usage_percent: ['Memory', 'percent'],
  memory_usage_bytes: ['Memory used', 'bytes'],
  disk_usage_bytes: ['Disk used', 'bytes'],
  disk_io_read_bytes: ['Disk read', 'bytes'],
  disk_io_write_bytes: ['Disk write', 'bytes'],
  network_io_rx_bytes: ['Network in', 'bytes'],
  network_io_tx_bytes: ['Network out', 'bytes'],
  gpu_usage_percent: ['GPU', 'percent'],
  gpu_memory_usage_bytes: ['GPU memory', 'bytes'],
  tasks_completed: ['Tasks completed', 'count'],
  tasks_failed: ['Tasks failed', 'count'],
  tasks_pending: ['Tasks pending', 'count'],
  average_response_time_ms: ['Response time', 'ms'],
  throughput_per_second: ['Throughput', 'rate'],
  error_rate: ['Error rate', 'ratio'],
  success_rate: ['Success rate', 'ratio'],
  uptime_seconds: ['Uptime', 'count'],
  model_inference_time_ms: ['Inference time', 'ms'],
  model_accuracy: ['Accuracy', 'ratio'],
  confidence_score: ['Confidence', 'ratio'],
  tokens_processed: ['Tokens processed', 'count'],
  tokens_per_second: ['Tokens/s', 'rate'],
  context_length: ['Context length', 'count'],
  api_calls_made: ['API calls', 'count'],
  api_call_latency_ms: ['API latency', 'ms'],
  health_score: ['Health score', 'score'],
  throughput: ['Throughput', 'rate'],
};

/** Units guessed from a name's suffix, for custom metrics the UI knows nothing else about. */
const SUFFIX_UNITS: [string, Unit][] = [
  ['_usd', 'usd'],
  ['_ms', 'ms'],
  ['_ratio', 'ratio'],
  ['_bytes', 'bytes'],
  ['_percent', 'percent'],
  ['_per_second', 'rate'],
];

/** A metric's label and unit: known ones by name, others (custom.<key>) by suffix, else plain counts. */
export function metricInfo(name: string | null | undefined): { label: string; unit: Unit } {
  if (!name) return { label: 'value', unit: 'count' };
  const known = LABELS[name];
  if (known) return { label: known[0], unit: known[1] };
  const label = name.startsWith('custom.') ? name.slice(7) : name;
  const unit = SUFFIX_UNITS.find(([suffix]) => label.endsWith(suffix))?.[1] ?? 'count';
  return { label, unit };
}

/** The chart kinds DashboardConfig.chart_types allows, with fallbacks when it leaves one out. */
export interface ChartKinds {
  /** For time series: line, area, or bar when only bars are allowed. */
  series: 'line' | 'area' | 'bar';
  /** For per-interval counts (tasks completed vs failed). */
  counts: 'line' | 'area' | 'bar';
  /** Gauges, or flat bars. */
  gauge: boolean;
}

/** Reads chart_types ("line", "area", "bar", "gauge"; unknown kinds ignored). */
export function chartKinds(config: DashboardConfig): ChartKinds {
  const t = new Set(config.chart_types.map((s) => s.toLowerCase()));
  const series = t.has('line') ? 'line' : t.has('area') ? 'area' : t.has('bar') ? 'bar' : 'line';
  return {
    series,
    counts: t.has('bar') ? 'bar' : series,
    gauge: t.has('gauge') || t.size === 0,
  };
}
