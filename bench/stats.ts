/** Small numeric helpers for the benchmark: percentiles, rates, CPU accounting, formatting. */
import { cpus } from 'node:os';

/** The q-quantile (0..1) of `values` by nearest rank; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least q of the sample at or below it.
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Median and 95th percentile of latencies, milliseconds. */
export interface Latency {
  p50: number;
  p95: number;
  max: number;
  n: number;
}

/** Median, p95 and max of a latency sample. */
export function latency(values: readonly number[]): Latency {
  return { p50: quantile(values, 0.5), p95: quantile(values, 0.95), max: quantile(values, 1), n: values.length };
}

/** Whole-machine CPU time so far (all cores, busy and idle), milliseconds. */
export interface MachineCpu {
  busyMs: number;
  totalMs: number;
}

/** Reads the machine's CPU counters (os.cpus() sums every process, PostgreSQL included). */
export function machineCpu(): MachineCpu {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busyMs: busy, totalMs: total };
}

/** CPU seconds used by a process between two process.cpuUsage() readings. */
export function cpuSeconds(before: NodeJS.CpuUsage, after: NodeJS.CpuUsage): number {
  return (after.user - before.user + after.system - before.system) / 1e6;
}

/** A number with a fixed count of decimals, or "-" for NaN. */
export function fmt(value: number, decimals = 1): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : '-';
}

/** An integer rate with thousands separators, e.g. "12,345". */
export function fmtRate(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '-';
}

/** Bytes as mebibytes with no decimals. */
export function mib(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)}`;
}

/** Cores busy (all processes) over `ms` while this benchmark sends nothing. */
export async function backgroundLoad(ms: number): Promise<number> {
  const before = machineCpu();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = machineCpu();
  return ((after.busyMs - before.busyMs) / (after.totalMs - before.totalMs)) * cpus().length;
}
