/**
 * What a demo agent measures and does, from its plan, the time of day it lives in and the incident
 * it is in: daily load curves, resource figures, tasks with their durations and failures, tokens
 * and API calls. Pure functions of their inputs and a seeded random source.
 */
import type { ResourceMetrics } from '@agentmon/schema';
import type { DemoAgentPlan, IncidentKind } from './fleet.js';

/** A random source in [0, 1). */
export type Random = () => number;

/** A small seeded generator (mulberry32): the same seed gives the same fleet behaviour. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Load in [0.08, 1] at a simulated instant, for a region `utcOffset` hours from UTC: lowest around
 * 04:00 local time, highest around 16:00, with a dip at lunch.
 */
export function dailyLoad(simMs: number, utcOffset: number): number {
  const hour = (((simMs / 3_600_000 + utcOffset) % 24) + 24) % 24;
  const day = 0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 4)) / 24);
  const lunch = 0.12 * Math.exp(-((hour - 12.5) ** 2) / 0.5);
  return Math.min(1, Math.max(0.08, 0.08 + 0.92 * day - lunch));
}

/** A value spread ±`spread` (a fraction) around `value`. */
const jitter = (rng: Random, value: number, spread: number) => value * (1 - spread + 2 * spread * rng());

/** A long-tailed duration around `median` (log-normal-ish). */
export function duration(rng: Random, median: number): number {
  const u = Math.max(1e-9, rng());
  const v = rng();
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.max(1, median * Math.exp(0.3 * normal));
}

/** The resource figures of one metrics interval. */
export function simulateResources(
  plan: DemoAgentPlan,
  load: number,
  incident: IncidentKind | null,
  rng: Random,
  intervalMs: number,
  diskUsedBytes: number,
): Partial<ResourceMetrics> {
  const p = plan.profile;
  const cpu = incident === 'cpu' ? 92 + rng() * 7 : p.cpuBase + p.cpuSpan * load + (rng() - 0.5) * 6;
  const memoryPercent = incident === 'memory' ? 89 + rng() * 7 : p.memoryBase + p.memorySpan * load + (rng() - 0.5) * 3;
  const totalBytes = p.memoryTotalGiB * 1024 ** 3;
  const seconds = intervalMs / 1000;
  const ioPerSecond = (p.tasksPerSecond * load + 0.2) * 48 * 1024;
  const netPerSecond = (p.tasksPerSecond * load + 0.1) * (p.tokensPerTask ? 24 : 6) * 1024;
  return {
    cpu_usage_percent: Math.min(100, Math.max(0.5, cpu)),
    memory_usage_percent: Math.min(99.5, Math.max(1, memoryPercent)),
    memory_usage_bytes: Math.round((totalBytes * Math.min(99.5, Math.max(1, memoryPercent))) / 100),
    disk_usage_bytes: Math.round(diskUsedBytes),
    disk_io_read_bytes: Math.round(jitter(rng, ioPerSecond * seconds, 0.3)),
    disk_io_write_bytes: Math.round(jitter(rng, ioPerSecond * 0.6 * seconds, 0.3)),
    network_io_rx_bytes: Math.round(jitter(rng, netPerSecond * seconds, 0.25)),
    network_io_tx_bytes: Math.round(jitter(rng, netPerSecond * 0.4 * seconds, 0.25)),
    ...(p.gpu
      ? {
          gpu_usage_percent: Math.min(100, 15 + 75 * load + (rng() - 0.5) * 8),
          gpu_memory_usage_bytes: Math.round((6 + 10 * load) * 1024 ** 3),
        }
      : {}),
  };
}

/** One simulated task. */
export interface SimTask {
  durationMs: number;
  ok: boolean;
  tokens: number;
  apiLatenciesMs: number[];
  inferenceMs: number | null;
  confidence: number | null;
}

/** The tasks an agent finishes in `seconds` of wall time at `load`. */
export function simulateTasks(plan: DemoAgentPlan, load: number, incident: IncidentKind | null, rng: Random, seconds = 1): SimTask[] {
  const p = plan.profile;
  const expected = p.tasksPerSecond * load * seconds;
  const count = Math.floor(expected * (0.8 + 0.4 * rng()) + rng());
  const failRate = incident === 'error_rate' ? 0.18 + 0.14 * rng() : p.errorRate * (0.5 + load);
  const tasks: SimTask[] = [];
  for (let i = 0; i < count; i++) {
    const slow = incident === 'latency' ? 6500 / p.responseMs + rng() * 2 : 1 + 0.3 * load;
    const ok = rng() >= failRate;
    const calls = p.apiCallsPerTask[0] + Math.floor(rng() * (p.apiCallsPerTask[1] - p.apiCallsPerTask[0] + 1));
    tasks.push({
      durationMs: Math.max(p.responseMs * 0.2, duration(rng, p.responseMs * slow)),
      ok,
      tokens: p.tokensPerTask ? Math.round(p.tokensPerTask[0] + rng() * (p.tokensPerTask[1] - p.tokensPerTask[0])) : 0,
      apiLatenciesMs: Array.from({ length: calls }, () => duration(rng, p.apiLatencyMs * (incident === 'latency' ? 4 : 1))),
      inferenceMs: p.inferenceMs !== null ? duration(rng, p.inferenceMs * (1 + load * 0.4)) : null,
      confidence: p.tokensPerTask || p.inferenceMs !== null ? Math.min(0.99, Math.max(0.3, 0.86 + (rng() - 0.5) * 0.2 - (ok ? 0 : 0.3))) : null,
    });
  }
  return tasks;
}
