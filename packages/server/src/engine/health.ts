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
 *
 * The status then caps the score (capScore): an agent in error or offline scores under 0.3, one in
 * warning under 0.6, so a score never looks healthy beside a status that is not. The cap shows in
 * the explanation as a component named `cap` with weight 0 (it takes no part in the average).
 */
import type { MonitoringConfig } from '@agentmon/schema';
import { numberText } from './text.js';

/** Weights of the components; they sum to 1. */
export const HEALTH_WEIGHTS = {
  checks: 0.3,
  freshness: 0.2,
  error_rate: 0.2,
  cpu: 0.1,
  memory: 0.1,
  response_time: 0.1,
} as const;

/** A component's name: a weighted term, or `cap`, the status's limit on the score. */
export type HealthComponentName = keyof typeof HEALTH_WEIGHTS | 'cap';

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

/**
 * Detail texts that depend on the config only (or on few values), kept between calls: the texts are
 * the same for most agents of a fleet, and building them is a good part of a step's cost.
 */
const texts = {
  checksPassing: new Map<number, string>(),
  freshnessAge: Number.NaN,
  freshnessInterval: Number.NaN,
  freshnessLimit: Number.NaN,
  freshness: '',
  errorRateThreshold: Number.NaN,
  errorRate: '',
  cpuThreshold: Number.NaN,
  cpu: '',
  memoryThreshold: Number.NaN,
  memory: '',
  responseTimeThreshold: Number.NaN,
  responseTime: '',
};

/** A payload value in a detail: numberText for a number, what a template literal gives otherwise. */
function valueText(v: unknown): string {
  return typeof v === 'number' ? numberText(v) : `${v as string}`;
}

/** `p/n passing` for small counts, from the cache. */
function checksPassingText(passing: number, total: number): string {
  if (total > 1000) return `${passing}/${total} passing`;
  const key = passing * 1024 + total;
  let text = texts.checksPassing.get(key);
  if (text === undefined) {
    text = `${passing}/${total} passing`;
    if (texts.checksPassing.size >= 4096) texts.checksPassing.clear();
    texts.checksPassing.set(key, text);
  }
  return text;
}

/*
 * The components are kept in the agent's state until its next payload, so they are copies of a
 * shape rather than literals, which V8 would start allocating in the old generation (see the
 * shapes in ingest.ts). Never changed.
 */
const COMPONENT_SHAPE: HealthComponent = { name: 'checks', value: 0.5, weight: 0.5, detail: '' };
const NO_COMPONENTS: readonly HealthComponent[] = [];

/** A component, its value rounded to [0, 1]. */
function component(name: HealthComponentName, value: number, detail: string): HealthComponent {
  const c = { ...COMPONENT_SHAPE };
  c.name = name;
  c.value = round(clamp01(value));
  c.weight = name === 'cap' ? 0 : HEALTH_WEIGHTS[name];
  c.detail = detail;
  return c;
}

/** Computes the health score at `nowMs`. */
export function assessHealth(
  inputs: HealthInputs,
  config: MonitoringConfig,
  nowMs: number,
  offlineFactor: number,
): HealthAssessment {
  const components = NO_COMPONENTS.slice();

  const checks = inputs.checks;
  let total = 0;
  let passing = 0;
  let failing: string[] | null = null;
  // Object.keys' names, in its order, without building its array.
  for (const n in checks) {
    if (!Object.hasOwn(checks, n)) continue;
    total += 1;
    if (checks[n]) passing += 1;
    else (failing ??= []).push(n);
  }
  if (total > 0) {
    components.push(component('checks', passing / total, failing ? `${passing}/${total} passing; failing: ${failing.join(', ')}` : checksPassingText(passing, total)));
  }

  const interval = expectedIntervalMs(config);
  if (inputs.lastDataAtMs === null) {
    components.push(component('freshness', 0, 'no data received yet'));
  } else {
    const age = Math.max(0, nowMs - inputs.lastDataAtMs);
    const limit = interval * offlineFactor;
    const value = age <= interval ? 1 : age > limit ? 0 : 1 - (0.5 * (age - interval)) / Math.max(1, limit - interval);
    const ageS = Math.round(age / 1000);
    if (ageS !== texts.freshnessAge || interval !== texts.freshnessInterval || limit !== texts.freshnessLimit) {
      texts.freshness = `last data ${ageS} s ago (interval ${interval / 1000} s, offline after ${limit / 1000} s)`;
      texts.freshnessAge = ageS;
      texts.freshnessInterval = interval;
      texts.freshnessLimit = limit;
    }
    components.push(component('freshness', value, texts.freshness));
  }

  const m = inputs.metrics;
  if (m) {
    if (config.error_rate_threshold !== texts.errorRateThreshold) {
      texts.errorRate = ` vs threshold ${config.error_rate_threshold}`;
      texts.errorRateThreshold = config.error_rate_threshold;
    }
    if (config.cpu_threshold !== texts.cpuThreshold) {
      texts.cpu = `% vs threshold ${config.cpu_threshold}%`;
      texts.cpuThreshold = config.cpu_threshold;
    }
    if (config.memory_threshold !== texts.memoryThreshold) {
      texts.memory = `% vs threshold ${config.memory_threshold}%`;
      texts.memoryThreshold = config.memory_threshold;
    }
    if (config.response_time_threshold_ms !== texts.responseTimeThreshold) {
      texts.responseTime = ` ms vs threshold ${config.response_time_threshold_ms} ms`;
      texts.responseTimeThreshold = config.response_time_threshold_ms;
    }
    components.push(
      component('error_rate', ramp(m.error_rate, config.error_rate_threshold), `error_rate ${valueText(m.error_rate)}${texts.errorRate}`),
      component('cpu', ramp(m.cpu_usage_percent, config.cpu_threshold), `cpu ${valueText(m.cpu_usage_percent)}${texts.cpu}`),
      component('memory', ramp(m.memory_usage_percent, config.memory_threshold), `memory ${valueText(m.memory_usage_percent)}${texts.memory}`),
      component(
        'response_time',
        ramp(m.average_response_time_ms, config.response_time_threshold_ms),
        `response time ${valueText(m.average_response_time_ms)}${texts.responseTime}`,
      ),
    );
  }

  // Summed in component order from 0, as a reduce over the list would.
  let totalWeight = 0;
  let weighted = 0;
  for (const c of components) {
    totalWeight += c.weight;
    weighted += c.weight * c.value;
  }
  const score = totalWeight === 0 ? 0 : weighted / totalWeight;
  return { score: round(clamp01(score)), components };
}

/**
 * The assessment with its score held at `cap.limit` or less; the cap joins the components (weight 0)
 * when it lowers the score, so the explanation says why the score is lower than its terms.
 */
export function capScore(assessment: HealthAssessment, cap: { limit: number; detail: string } | null): HealthAssessment {
  if (cap === null || assessment.score <= cap.limit) return assessment;
  const components = assessment.components.slice();
  components.push(component('cap', cap.limit, cap.detail));
  return { score: round(cap.limit), components };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
