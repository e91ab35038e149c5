/**
 * Metrics queries: a MetricsQuery checked and turned into a SeriesQuery, and the store's rows turned
 * into MetricsResponse.data with empty buckets filled as asked.
 */
import {
  AGGREGATIONS,
  FILL_MODES,
  GROUP_BY_MODES,
  SERIES_METRIC_NAMES,
  isQueryableMetricName,
  type Aggregation,
  type ErrorDetail,
  type FillMode,
  type GroupByMode,
  type MetricsQuery,
} from '@agentmon/schema';
import type { LatestTable, SeriesQuery, SeriesRow } from '../storage/ports.js';
import { TextWriter, utf8, writeText } from './text-writer.js';
import { parseInterval, parseTimeExpression, TIME_EXPRESSION_FORMS } from './time-expression.js';

/** Most buckets one series may span; a finer interval over a longer range is refused. */
export const MAX_BUCKETS = 10_000;

/** Widest bucket (ten years): wider ones would push bucket arithmetic past exact integers. */
export const MAX_INTERVAL_MS = 3650 * 86_400_000;

/** A query ready for the store, and the normalised MetricsQuery echoed in the response. */
export interface PreparedQuery {
  series: SeriesQuery;
  fill: FillMode;
  echo: Required<MetricsQuery>;
}

/** Options of prepareMetricsQuery. */
export interface PrepareOptions {
  /** Most values a raw answer may hold (default: no limit). */
  maxRawValues?: number;
  /** The server's clock, for relative times (`now-1h`); default Date.now(). */
  nowMs?: number;
}

/**
 * Checks a MetricsQuery the schema let through against the rules it cannot state, and normalises it. A raw query (no interval, no aggregation) gets `maxRows`
 * so that its answer holds at most `maxRawValues` values: a raw answer over a long range or a
 * large fleet would stall the server for everyone while it is built. Times may be ISO 8601, epoch
 * milliseconds or relative to `nowMs`; the echo gives them back as ISO 8601.
 */
export function prepareMetricsQuery(q: MetricsQuery, part: 'body' | 'query', options: PrepareOptions = {}): { ok: true; value: PreparedQuery } | { ok: false; details: ErrorDetail[] } {
  const { maxRawValues = Number.POSITIVE_INFINITY, nowMs = Date.now() } = options;
  const details: ErrorDetail[] = [];
  const at = (field: string) => `/${part}/${field}`;
  const time = (text: string) => {
    const ms = parseTimeExpression(text, nowMs);
    return ms === undefined ? undefined : new Date(ms);
  };
  const start = time(q.start_time);
  const end = time(q.end_time);
  if (!start) details.push({ path: at('start_time'), message: `must be ${TIME_EXPRESSION_FORMS}` });
  if (!end) details.push({ path: at('end_time'), message: `must be ${TIME_EXPRESSION_FORMS}` });
  if (start && end && end.getTime() < start.getTime()) details.push({ path: at('end_time'), message: 'must not be before start_time' });

  const names = q.metric_names && q.metric_names.length > 0 ? [...new Set(q.metric_names.map((n) => n.trim()))] : [...SERIES_METRIC_NAMES];
  names.forEach((name, i) => {
    if (!isQueryableMetricName(name)) {
      details.push({ path: `${at('metric_names')}/${i}`, message: `unknown metric ${JSON.stringify(name)}: use a metric field name (cpu_usage_percent, tokens_per_second, ...) or custom.<key>` });
    }
  });

  const aggregation = q.aggregation ?? null;
  if (aggregation !== null && !(AGGREGATIONS as readonly string[]).includes(aggregation)) {
    details.push({ path: at('aggregation'), message: `must be one of: ${AGGREGATIONS.join(', ')}` });
  }
  let intervalMs: number | null = null;
  if (q.interval !== null && q.interval !== undefined && q.interval !== '') {
    intervalMs = parseInterval(q.interval);
    if (intervalMs === null) details.push({ path: at('interval'), message: 'must be a duration like 10s, 1m, 5m, 1h or 1d' });
    else if (intervalMs > MAX_INTERVAL_MS) details.push({ path: at('interval'), message: 'must be at most 3650d (ten years)' });
    else if (start && end && (end.getTime() - start.getTime()) / intervalMs > MAX_BUCKETS) {
      details.push({ path: at('interval'), message: `too fine for the range: at most ${MAX_BUCKETS} buckets per series` });
    }
  }
  const groupBy = (q.group_by ?? 'agent') as GroupByMode;
  if (!(GROUP_BY_MODES as readonly string[]).includes(groupBy)) details.push({ path: at('group_by'), message: `must be one of: ${GROUP_BY_MODES.join(', ')}` });
  const fill = (q.fill ?? 'none') as FillMode;
  if (!(FILL_MODES as readonly string[]).includes(fill)) details.push({ path: at('fill'), message: `must be one of: ${FILL_MODES.join(', ')}` });
  const agentIds = q.agent_ids && q.agent_ids.length > 0 ? [...new Set(q.agent_ids.map((a) => a.trim()).filter((a) => a !== ''))] : null;
  if (details.length > 0 || !start || !end) return { ok: false, details };

  const effectiveAggregation: Aggregation | null = intervalMs !== null ? (aggregation ?? 'avg') : aggregation;
  return {
    ok: true,
    value: {
      series: {
        agentIds,
        startMs: start.getTime(),
        endMs: end.getTime(),
        metrics: names,
        aggregation: effectiveAggregation,
        intervalMs,
        groupBy,
        ...(effectiveAggregation === null && intervalMs === null && Number.isFinite(maxRawValues) ? { maxRows: Math.max(1, Math.floor(maxRawValues / names.length)) } : {}),
      },
      fill,
      echo: {
        agent_ids: agentIds,
        start_time: start.toISOString(),
        end_time: end.toISOString(),
        metric_names: names,
        aggregation: effectiveAggregation,
        interval: intervalMs === null ? null : (q.interval as string).trim(),
        group_by: groupBy,
        fill,
      },
    },
  };
}

/** A row of MetricsResponse.data. */
export type MetricsDataRow = Record<string, unknown> & { timestamp: string };

/**
 * Rows for the response: raw rows as they are; bucketed rows with the empty buckets between
 * start and end filled per `fill` (none: left out).
 */
export function shapeRows(rows: readonly SeriesRow[], prepared: PreparedQuery): MetricsDataRow[] {
  const { series, fill } = prepared;
  const toRow = (r: SeriesRow): MetricsDataRow => ({
    ...(r.agent_id !== null || series.groupBy === 'agent' ? { agent_id: r.agent_id } : {}),
    timestamp: new Date(r.ts).toISOString(),
    ...r.values,
  });
  if (series.intervalMs === null || fill === 'none') return rows.map(toRow);

  const interval = series.intervalMs;
  const first = Math.floor(series.startMs / interval) * interval;
  const last = Math.floor(series.endMs / interval) * interval;
  const groups = new Map<string | null, SeriesRow[]>();
  if (series.groupBy === 'none') groups.set(null, []);
  else for (const id of series.agentIds ?? []) groups.set(id, []);
  for (const r of rows) {
    const list = groups.get(r.agent_id) ?? [];
    list.push(r);
    groups.set(r.agent_id, list);
  }
  const out: MetricsDataRow[] = [];
  const keys = [...groups.keys()].sort((a, b) => String(a).localeCompare(String(b)));
  for (const agentId of keys) {
    const byTs = new Map((groups.get(agentId) ?? []).map((r) => [r.ts, r]));
    const previous: Record<string, number | null> = Object.fromEntries(series.metrics.map((m) => [m, null]));
    for (let ts = first; ts <= last; ts += interval) {
      const found = byTs.get(ts);
      let values: Record<string, number | null>;
      if (found) {
        values = found.values;
        for (const m of series.metrics) if (values[m] !== null && values[m] !== undefined) previous[m] = values[m] as number;
      } else if (fill === 'zero') {
        values = Object.fromEntries(series.metrics.map((m) => [m, 0]));
      } else if (fill === 'previous') {
        values = { ...previous };
      } else {
        values = Object.fromEntries(series.metrics.map((m) => [m, null]));
      }
      out.push(toRow({ agent_id: agentId, ts, values }));
    }
  }
  return out;
}

/** Bytes a row of `values` values is expected to take as JSON (the first size of the answer's array). */
const rowBytes = (values: number) => 100 + values * 32;

/**
 * The MetricsResponse of a query as JSON bytes: the same text JSON.stringify gives for {query,
 * total_points, agents, time_range, data: shapeRows(...)}, written straight from the store's rows
 * or latest table without building an object per row (a thousand rows of thirty values each is the
 * dashboard's everyday answer; see text-writer.ts). Rows with filled buckets (fill other than none)
 * take the object path. `agents`: the agents a merged answer (group_by none) names, whose rows carry
 * none; null to name the rows' own (a latest table names its agents itself).
 */
export function metricsResponseJson(answer: readonly SeriesRow[] | LatestTable, prepared: PreparedQuery, agents: readonly string[] | null): Uint8Array {
  if (!isRows(answer)) return writeText(answer.agents.length * rowBytes(answer.metrics.length), (w) => writeLatest(w, answer, prepared));
  const { series } = prepared;
  if (series.intervalMs !== null && prepared.fill !== 'none') {
    const data = shapeRows(answer, prepared);
    const names = agents ?? [...new Set(data.map((r) => r.agent_id as string))].sort();
    return writeText(data.length * rowBytes(series.metrics.length), (w) => {
      writeHead(w, prepared, data.length, names);
      for (let i = 0; i < data.length; i++) (i === 0 ? w : w.text(',')).text(JSON.stringify(data[i]));
      w.text(']}');
    });
  }
  const names = agents ?? [...new Set(answer.map((r) => r.agent_id as string))].sort();
  return writeText(answer.length * rowBytes(series.metrics.length), (w) => writeRows(w, answer, prepared, names));
}

/** The response's head, up to the opening of `data`. */
function writeHead(w: TextWriter, { echo }: PreparedQuery, count: number, names: readonly string[]): void {
  // The agents as JSON.stringify writes a list of them, each id quoted once per server.
  w.text(`{"query":${JSON.stringify(echo)},"total_points":${count},"agents":[`);
  for (let a = 0; a < names.length; a++) {
    if (a > 0) w.text(',');
    w.raw(quotedId(names[a] as string));
  }
  w.text(`],"time_range":${JSON.stringify({ start: echo.start_time, end: echo.end_time })},"data":[`);
}

/** Raw or bucketed rows as they are. */
function writeRows(w: TextWriter, rows: readonly SeriesRow[], prepared: PreparedQuery, names: readonly string[]): void {
  writeHead(w, prepared, rows.length, names);
  const keys = new Map<string, Uint8Array>();
  const withAgent = prepared.series.groupBy === 'agent';
  let stampTs = Number.NaN;
  let stamp = '';
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as SeriesRow;
    if (r.ts !== stampTs) {
      stampTs = r.ts;
      stamp = `"timestamp":"${new Date(r.ts).toISOString()}"`;
    }
    w.text(i === 0 ? '{' : ',{');
    if (r.agent_id !== null) w.text('"agent_id":').raw(quotedId(r.agent_id)).text(',');
    else if (withAgent) w.text('"agent_id":null,');
    w.text(stamp);
    const values = r.values;
    for (const name in values) {
      let key = keys.get(name);
      if (key === undefined) {
        key = utf8(`,${JSON.stringify(name)}:`);
        keys.set(name, key);
      }
      const v = values[name];
      w.raw(key);
      if (v === null || v === undefined) w.text('null');
      else w.number(v);
    }
    w.text('}');
  }
  w.text(']}');
}

/** A LatestTable's response: the rows query() would give, one per agent, written from its columns. */
function writeLatest(w: TextWriter, table: LatestTable, prepared: PreparedQuery): void {
  const { metrics, agents, values, present } = table;
  // The agents named in the head are in sort()'s order, as for rows (the table's are in code point order).
  writeHead(w, prepared, agents.length, sorted(agents));
  const width = metrics.length;
  // Each key as bytes, the first one after the timestamp (the same in every row): one copy each.
  const keys = metrics.map((m, i) => utf8(`${i === 0 ? `,"timestamp":"${new Date(table.ts).toISOString()}"` : ''},${JSON.stringify(m)}:`));
  for (let a = 0; a < agents.length; a++) {
    w.text(a === 0 ? '{"agent_id":' : ',{"agent_id":').raw(quotedId(agents[a] as string));
    const base = a * width;
    for (let m = 0; m < width; m++) {
      w.raw(keys[m] as Uint8Array);
      if (present[base + m] === 1) w.number(values[base + m] as number);
      else w.text('null');
    }
    w.text('}');
  }
  w.text(']}');
}

/** `names` in sort()'s order, copied only when they are not in it already (ASCII ids in code point order are). */
function sorted(names: readonly string[]): readonly string[] {
  for (let i = 1; i < names.length; i++) if ((names[i - 1] as string) > (names[i] as string)) return [...names].sort();
  return names;
}

/**
 * Each agent id seen, quoted as JSON and encoded as UTF-8: a latest answer writes every agent's id
 * twice (the head's list and its row), and quoting and encoding a 1,000-agent fleet's ids took a
 * third of its time. Bounded: cleared when it holds more ids than any fleet one server keeps.
 */
const quotedIds = new Map<string, Uint8Array>();
const MAX_QUOTED_IDS = 200_000;

function quotedId(id: string): Uint8Array {
  let bytes = quotedIds.get(id);
  if (bytes === undefined) {
    if (quotedIds.size >= MAX_QUOTED_IDS) quotedIds.clear();
    bytes = utf8(JSON.stringify(id));
    quotedIds.set(id, bytes);
  }
  return bytes;
}

function isRows(answer: readonly SeriesRow[] | LatestTable): answer is readonly SeriesRow[] {
  return Array.isArray(answer);
}
