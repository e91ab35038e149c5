/**
 * The compare mode's queries (figures 2-6) as each system asks them over HTTP, with the check of
 * each answer, and the untimed count of stored payloads. agentmon: GET /api/v1/metrics/query;
 * VictoriaMetrics: the Prometheus query API (MetricsQL); InfluxDB: InfluxQL on /query.
 */
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import {
  agentmonAllByAgent,
  agentmonBuckets,
  agentmonByAgent,
  checkAllFields,
  checkBuckets,
  checkPerAgent,
  failedCheck,
  influxAllByAgent,
  influxBuckets,
  influxByAgent,
  vmAllByAgent,
  vmBuckets,
  vmByAgent,
  type Check,
} from './answers.js';
import { BUCKET_MS, expectedAverages, MEASUREMENT, RECENT_MS, type Dataset } from './dataset.js';

/** The timed queries, in figure order: what each asks. */
export const QUERY_FIGURES = [
  { figure: 2, label: 'one agent, avg cpu per 5 min over the range' },
  { figure: 3, label: 'fleet-wide avg cpu per 5 min over the range' },
  { figure: 4, label: 'latest cpu of every agent over the range' },
  { figure: 5, label: 'latest cpu of every agent, last 5 min' },
  { figure: 6, label: 'latest of every metric, every agent, last 5 min' },
] as const;

/** One figure's query as a system asks it. */
export interface QueryDef {
  /** Request path and query string of run `i` (warm-ups run with i >= the measured runs). */
  path: (i: number) => string;
  /** Checks the body of run i's answer against the dataset. */
  check: (body: string, i: number) => Check;
}

/** The untimed count of stored payloads (cpu_usage_percent points over the range). */
export interface CountDef {
  path: string;
  parse: (body: string) => number;
}

/** The agent the one-agent query asks about in run i: a different one each run, as the default bench does. */
export const agentOf = (d: Dataset, i: number): number => (i * 37) % d.ids.length;

const CPU = 'cpu_usage_percent';
const iso = (ms: number) => new Date(ms).toISOString();

/** Runs a parse-and-compare, turning an unreadable or error answer into a failed check. */
function guarded(what: string, fn: () => Check): Check {
  try {
    return fn();
  } catch (err) {
    return failedCheck(`${what}: answer not readable: ${(err as Error).message.slice(0, 200)}`);
  }
}

/** agentmon's GET /api/v1/metrics/query for each figure. */
export function agentmonQueries(d: Dataset): QueryDef[] {
  const q = (params: Record<string, string>) => `/api/v1/metrics/query?${new URLSearchParams(params).toString()}`;
  const whole = { start_time: iso(d.startMs), end_time: iso(d.endMs) };
  const recent = { start_time: iso(d.endMs - RECENT_MS), end_time: iso(d.endMs) };
  const bucketed = { ...whole, metric_names: CPU, interval: '5m', aggregation: 'avg' };
  const builtIn = new Set<string>(SERIES_METRIC_NAMES);
  return [
    {
      path: (i) => q({ ...bucketed, agent_ids: d.ids[agentOf(d, i)] as string }),
      check: (body, i) => guarded('agentmon 2', () => checkBuckets(agentmonBuckets(body, CPU), expectedAverages(d, agentOf(d, i)), 'one agent')),
    },
    {
      path: () => q({ ...bucketed, group_by: 'none' }),
      check: (body) => guarded('agentmon 3', () => checkBuckets(agentmonBuckets(body, CPU), expectedAverages(d, null), 'fleet')),
    },
    {
      path: () => q({ ...whole, metric_names: CPU, aggregation: 'last', group_by: 'agent' }),
      check: (body) => guarded('agentmon 4', () => checkPerAgent(agentmonByAgent(body, CPU), d.ids, d.expected.lastCpu, 'latest')),
    },
    {
      path: () => q({ ...recent, metric_names: CPU, aggregation: 'last', group_by: 'agent' }),
      check: (body) => guarded('agentmon 5', () => checkPerAgent(agentmonByAgent(body, CPU), d.ids, d.expected.lastCpuRecent, 'latest 5 min')),
    },
    {
      // No metric_names: every built-in series, health_score (agentmon's own, not in the data) included but not checked.
      path: () => q({ ...recent, aggregation: 'last', group_by: 'agent' }),
      check: (body) =>
        guarded('agentmon 6', () => checkAllFields(agentmonAllByAgent(body), d.ids, d.expected.lastRecent, (f) => builtIn.has(f) && f !== 'health_score', 'all metrics')),
    },
  ];
}

/** agentmon's count of stored payloads. */
export function agentmonCount(d: Dataset): CountDef {
  const params = new URLSearchParams({ start_time: iso(d.startMs), end_time: iso(d.endMs), metric_names: CPU, aggregation: 'count', group_by: 'none' });
  return { path: `/api/v1/metrics/query?${params.toString()}`, parse: (body) => Number(agentmonByAgent(body, CPU).values().next().value ?? 0) };
}

/** VictoriaMetrics' Prometheus API queries for each figure: range queries step 5 min, instant queries at the end of the range. */
export function vmQueries(d: Dataset): QueryDef[] {
  const name = `${MEASUREMENT}_${CPU}`;
  // A range query's point at t covers (t - 5m, t]: points from start + 5m to end cover the buckets.
  const range = (query: string) =>
    `/api/v1/query_range?${new URLSearchParams({ query, start: String((d.startMs + BUCKET_MS) / 1000), end: String(d.endMs / 1000), step: `${BUCKET_MS / 1000}s` }).toString()}`;
  const instant = (query: string) => `/api/v1/query?${new URLSearchParams({ query, time: String(d.endMs / 1000) }).toString()}`;
  const rangeS = (d.endMs - d.startMs) / 1000;
  return [
    {
      path: (i) => range(`avg_over_time(${name}{agent_id="${d.ids[agentOf(d, i)] as string}"}[5m])`),
      check: (body, i) => guarded('VictoriaMetrics 2', () => checkBuckets(vmBuckets(body), expectedAverages(d, agentOf(d, i)), 'one agent')),
    },
    {
      path: () => range(`sum(sum_over_time(${name}[5m])) / sum(count_over_time(${name}[5m]))`),
      check: (body) => guarded('VictoriaMetrics 3', () => checkBuckets(vmBuckets(body), expectedAverages(d, null), 'fleet')),
    },
    {
      path: () => instant(`last_over_time(${name}[${rangeS}s])`),
      check: (body) => guarded('VictoriaMetrics 4', () => checkPerAgent(vmByAgent(body), d.ids, d.expected.lastCpu, 'latest')),
    },
    {
      path: () => instant(`last_over_time(${name}[${RECENT_MS / 1000}s])`),
      check: (body) => guarded('VictoriaMetrics 5', () => checkPerAgent(vmByAgent(body), d.ids, d.expected.lastCpuRecent, 'latest 5 min')),
    },
    {
      path: () => instant(`last_over_time({__name__=~"${MEASUREMENT}_.*"}[${RECENT_MS / 1000}s])`),
      check: (body) => guarded('VictoriaMetrics 6', () => checkAllFields(vmAllByAgent(body), d.ids, d.expected.lastRecent, () => true, 'all metrics')),
    },
  ];
}

/** VictoriaMetrics' count of stored payloads. */
export function vmCount(d: Dataset): CountDef {
  const query = `sum(count_over_time(${MEASUREMENT}_${CPU}[${(d.endMs - d.startMs) / 1000}s]))`;
  return {
    path: `/api/v1/query?${new URLSearchParams({ query, time: String(d.endMs / 1000) }).toString()}`,
    parse: (body) => Number(vmByAgent(body).values().next().value ?? 0),
  };
}

/** InfluxDB's InfluxQL for each figure (epoch=ms answers; time bounds inclusive, as agentmon's). */
export function influxQueries(d: Dataset, database: string): QueryDef[] {
  const q = (text: string) => `/query?${new URLSearchParams({ db: database, epoch: 'ms', q: text }).toString()}`;
  const whole = `time >= '${iso(d.startMs)}' AND time <= '${iso(d.endMs)}'`;
  const recent = `time >= '${iso(d.endMs - RECENT_MS)}' AND time <= '${iso(d.endMs)}'`;
  return [
    {
      path: (i) => q(`SELECT mean("${CPU}") FROM "${MEASUREMENT}" WHERE "agent_id" = '${d.ids[agentOf(d, i)] as string}' AND ${whole} GROUP BY time(5m) fill(none)`),
      check: (body, i) => guarded('InfluxDB 2', () => checkBuckets(influxBuckets(body), expectedAverages(d, agentOf(d, i)), 'one agent')),
    },
    {
      path: () => q(`SELECT mean("${CPU}") FROM "${MEASUREMENT}" WHERE ${whole} GROUP BY time(5m) fill(none)`),
      check: (body) => guarded('InfluxDB 3', () => checkBuckets(influxBuckets(body), expectedAverages(d, null), 'fleet')),
    },
    {
      path: () => q(`SELECT last("${CPU}") FROM "${MEASUREMENT}" WHERE ${whole} GROUP BY "agent_id"`),
      check: (body) => guarded('InfluxDB 4', () => checkPerAgent(influxByAgent(body), d.ids, d.expected.lastCpu, 'latest')),
    },
    {
      path: () => q(`SELECT last("${CPU}") FROM "${MEASUREMENT}" WHERE ${recent} GROUP BY "agent_id"`),
      check: (body) => guarded('InfluxDB 5', () => checkPerAgent(influxByAgent(body), d.ids, d.expected.lastCpuRecent, 'latest 5 min')),
    },
    {
      path: () => q(`SELECT last(*) FROM "${MEASUREMENT}" WHERE ${recent} GROUP BY "agent_id"`),
      check: (body) => guarded('InfluxDB 6', () => checkAllFields(influxAllByAgent(body), d.ids, d.expected.lastRecent, () => true, 'all metrics')),
    },
  ];
}

/** InfluxDB's count of stored payloads. */
export function influxCount(d: Dataset, database: string): CountDef {
  const text = `SELECT count("${CPU}") FROM "${MEASUREMENT}" WHERE time >= '${iso(d.startMs)}' AND time <= '${iso(d.endMs)}'`;
  return {
    path: `/query?${new URLSearchParams({ db: database, epoch: 'ms', q: text }).toString()}`,
    parse: (body) => Number(influxBuckets(body).values().next().value ?? 0),
  };
}
