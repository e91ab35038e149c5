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
import type { SeriesQuery, SeriesRow } from '../storage/ports.js';
import { numberText } from './text.js';
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

/**
 * The MetricsResponse of a query as JSON text in pieces (joined, the same text JSON.stringify gives
 * for {query, total_points, agents, time_range, data: shapeRows(...)}), written straight from the
 * store's rows without building an object per row (a thousand rows of thirty values each is the
 * dashboard's everyday answer). The pieces are the head, one per row and the tail, so that an
 * answer of any size is sent without ever being one large string (see json-out.ts). Rows with
 * filled buckets (fill other than none) take the object path.
 */
export function metricsResponsePieces(rows: readonly SeriesRow[], prepared: PreparedQuery, agents: readonly string[] | null): string[] {
  const { series, echo } = prepared;
  const head = (count: number, names: readonly string[]): string =>
    `{"query":${JSON.stringify(echo)},"total_points":${count},"agents":${JSON.stringify(names)},"time_range":${JSON.stringify({ start: echo.start_time, end: echo.end_time })},"data":[`;
  if (series.intervalMs !== null && prepared.fill !== 'none') {
    const data = shapeRows(rows, prepared);
    const names = agents ?? [...new Set(data.map((r) => r.agent_id as string))].sort();
    const pieces = new Array<string>(data.length + 2);
    pieces[0] = head(data.length, names);
    for (let i = 0; i < data.length; i++) pieces[i + 1] = (i === 0 ? '' : ',') + JSON.stringify(data[i]);
    pieces[data.length + 1] = ']}';
    return pieces;
  }
  const names = agents ?? [...new Set(rows.map((r) => r.agent_id as string))].sort();
  const keyText = new Map<string, string>();
  const stamps = new Map<number, string>();
  const pieces = new Array<string>(rows.length + 2);
  pieces[0] = head(rows.length, names);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as SeriesRow;
    let stamp = stamps.get(r.ts);
    if (stamp === undefined) {
      stamp = `"timestamp":"${new Date(r.ts).toISOString()}"`;
      stamps.set(r.ts, stamp);
    }
    const open = i === 0 ? '{' : ',{';
    let text = r.agent_id !== null || series.groupBy === 'agent' ? `${open}"agent_id":${JSON.stringify(r.agent_id)},${stamp}` : `${open}${stamp}`;
    const values = r.values;
    for (const name in values) {
      let key = keyText.get(name);
      if (key === undefined) {
        key = `,${JSON.stringify(name)}:`;
        keyText.set(name, key);
      }
      const v = values[name];
      // String(v) is JSON's text for every finite number (-0 included: both print 0); numberText
      // is String's text, found without its slow path for the short decimals most values are.
      text += key + (v === null || v === undefined ? 'null' : numberText(v));
    }
    pieces[i + 1] = `${text}}`;
  }
  pieces[rows.length + 1] = ']}';
  return pieces;
}
