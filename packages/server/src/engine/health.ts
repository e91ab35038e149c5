/**
 * The health score: one formula, used for AgentSummary, HealthStatus, HealthResponse and the
 * `health_score` series.
 *
 *   score = Σ weight_i · component_i / Σ weight_i   over the components that have data
 *
 * | component      | weight | value                                                              |
 * |----------------|--------|--------------------------------------------------------------------|
 * | checks         | 0.30   | share of the latest health checks passing (reports and payloads)    |
 * | freshness      | 0.20   | 1 while the last data is within one interval, falling linearly to   |
 * |                |        | 0.5 at offline_factor intervals, then 0 (interval = max(metrics,    |
 * |                |        | health) s): late is a warning sign, silent is offline               |
 * | error_rate     | 0.20   | ramp(error_rate, error_rate_threshold)                              |
 * | cpu            | 0.10   | ramp(cpu_usage_percent, cpu_threshold)                              |
 * | memory         | 0.10   | ramp(memory_usage_percent, memory_threshold)                        |
 * | response_time  | 0.10   | ramp(average_response_time_ms, response_time_threshold_ms)          |
 *
 * ramp(v, T) = 1 up to 0.75·T, 0.5 at T, 0 from 1.25·T (linear between): pressure counts before
 * the line is crossed, and a breach pulls the score down hard. An agent that never sent anything
 * scores 0 (freshness is its only component).
 */
import type { MonitoringConfig } from '@agentmon/schema';

/** Weights of the components; they sum to 1. */
export const HEALTH_WEIGHTS = {
  checks: 0.3,
  freshness: 0.2,
  error_rate: 0.2,
  cpu: 0.1,
  memory: 0.1,
  response_time: 0.1,
} as const;

/** A component's name. */
export type HealthComponentName = keyof typeof HEALTH_WEIGHTS;

/** One term of the score, so a person sees why it fell. */
export interface HealthComponent {
  name: HealthComponentName;
  /** In [0, 1]. */
  value: number;
  weight: number;
  /** The input it was computed from, in words. */
  detail: string;
}

/** The latest values the score reads. */
export interface HealthInputs {
  /** Latest result of each named check, from health reports and from AgentMetrics.health_checks. */
  checks: Record<string, boolean>;
  /** Server receive time of the latest metrics, heartbeat or health report; null if never. */
  lastDataAtMs: number | null;
  /** Latest payload values; null before the first metrics payload. */
  metrics: {
    cpu_usage_percent: number;
    memory_usage_percent: number;
    error_rate: number;
    average_response_time_ms: number;
  } | null;
}

/** A score with its parts. */
export interface HealthAssessment {
  score: number;
  components: HealthComponent[];
}

/** 1 up to 0.75·T, 0.5 at T, 0 from 1.25·T. A threshold of 0 means any value above 0 is a breach. */
export function ramp(value: number, threshold: number): number {
  if (threshold <= 0) return value <= 0 ? 1 : 0;
  return clamp01(0.5 - (value - threshold) / (0.5 * threshold));
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Seconds between expected reports: the longer of the metrics and health-check intervals. */
export function expectedIntervalMs(config: Pick<MonitoringConfig, 'metrics_interval_seconds' | 'health_check_interval_seconds'>): number {
  return Math.max(config.metrics_interval_seconds, config.health_check_interval_seconds) * 1000;
}

/** Computes the health score at `nowMs`. */
export function assessHealth(
  inputs: HealthInputs,
  config: MonitoringConfig,
  nowMs: number,
  offlineFactor: number,
): HealthAssessment {
  const components: HealthComponent[] = [];
  const add = (name: HealthComponentName, value: number, detail: string) =>
    components.push({ name, value: round(clamp01(value)), weight: HEALTH_WEIGHTS[name], detail });

  const checkNames = Object.keys(inputs.checks);
  if (checkNames.length > 0) {
    const passing = checkNames.filter((n) => inputs.checks[n]).length;
    const failing = checkNames.filter((n) => !inputs.checks[n]);
    add('checks', passing / checkNames.length, failing.length ? `${passing}/${checkNames.length} passing; failing: ${failing.join(', ')}` : `${passing}/${checkNames.length} passing`);
  }

  const interval = expectedIntervalMs(config);
  if (inputs.lastDataAtMs === null) {
    add('freshness', 0, 'no data received yet');
  } else {
    const age = Math.max(0, nowMs - inputs.lastDataAtMs);
    const limit = interval * offlineFactor;
    const value = age <= interval ? 1 : age > limit ? 0 : 1 - (0.5 * (age - interval)) / Math.max(1, limit - interval);
    add('freshness', value, `last data ${Math.round(age / 1000)} s ago (interval ${interval / 1000} s, offline after ${limit / 1000} s)`);
  }

  const m = inputs.metrics;
  if (m) {
    add('error_rate', ramp(m.error_rate, config.error_rate_threshold), `error_rate ${m.error_rate} vs threshold ${config.error_rate_threshold}`);
    add('cpu', ramp(m.cpu_usage_percent, config.cpu_threshold), `cpu ${m.cpu_usage_percent}% vs threshold ${config.cpu_threshold}%`);
    add('memory', ramp(m.memory_usage_percent, config.memory_threshold), `memory ${m.memory_usage_percent}% vs threshold ${config.memory_threshold}%`);
    add(
      'response_time',
      ramp(m.average_response_time_ms, config.response_time_threshold_ms),
      `response time ${m.average_response_time_ms} ms vs threshold ${config.response_time_threshold_ms} ms`,
    );
  }

  const totalWeight = components.reduce((s, c) => s + c.weight, 0);
  const score = totalWeight === 0 ? 0 : components.reduce((s, c) => s + c.weight * c.value, 0) / totalWeight;
  return { score: round(clamp01(score)), components };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
