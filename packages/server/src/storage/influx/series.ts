/**
 * SeriesStore on InfluxDB 1.x (HTTP API, InfluxQL). One measurement, `agent_metrics`, tagged
 * agent_id, environment and deployment_type, holds one point per payload:
 *
 * - a float field per built-in series value the payload has (absent when null);
 * - a float field `custom.<key>` per numeric custom metric (same point, so no join);
 * - `payload` = 1 on every point: it says a payload is there even when it has none of the fields a
 *   query asks for (buckets and raw rows exist per payload, as in the SQL adapters), and counting
 *   it counts payloads;
 * - `extra`, the payload's custom_metrics/health_checks/alerts as JSON text (kept, never read;
 *   left out above 60 kB, as InfluxDB refuses strings over 64 KiB).
 *
 * Timestamps are written in ns as `ts * 1e6 + k`, k < 1e6 a per-store counter: two payloads of one
 * agent with the same ms stay two points (InfluxDB would merge them otherwise), while ms reads
 * (`epoch=ms`), ms buckets and ms bounds see the payload's ts. Aggregation runs in InfluxDB
 * (GROUP BY time(<interval>ms), which aligns buckets to the epoch like the SQL adapters).
 */
import { CUSTOM_METRIC_PREFIX, isSeriesMetricName, SERIES_METRIC_NAMES, type Aggregation } from '@agentmon/schema';
import { checkAnswerSize, type SeriesPoint, type SeriesQuery, type SeriesRow, type SeriesStore } from '../ports.js';
import { agentsByCount } from '../series-agents.js';
import { byCodePoint } from '../code-point-order.js';
import {
  escapeKey,
  escapeMeasurement,
  InfluxHttp,
  lineProtocolProblem,
  parseInfluxUrl,
  quoteIdent,
  quoteString,
  stringField,
  type InfluxSeries,
} from './http.js';

/** Options of the InfluxDB series store. */
export interface InfluxSeriesOptions {
  /** `http://[user:pass@]host:port/<database>`. */
  url: string;
  /** Per-request timeout, ms (default 30 s). */
  timeoutMs?: number;
}

/** The measurement of payload points. */
export const INFLUX_MEASUREMENT = 'agent_metrics';
/** The field every payload point has. */
const PAYLOAD_FIELD = 'payload';
const MIGRATIONS_MEASUREMENT = 'agentmon_migrations';
const COMPONENT = 'series';

/** Largest `extra` JSON kept (InfluxDB's string field limit is 64 KiB, escaping included). */
const MAX_EXTRA_BYTES = 60_000;

/** InfluxDB's time range is int64 ns; keep ts*1e6 + 999999 inside it. */
const MAX_ABS_TS_MS = 9_000_000_000_000;

const MIGRATIONS: readonly { version: number; name: string; statements: readonly string[] }[] = [
  // The database is made by every migrate() (CREATE DATABASE is idempotent); measurements need no DDL.
  { version: 1, name: 'database and measurement agent_metrics', statements: [] },
];

/** InfluxQL functions of the aggregations (avg is SUM / COUNT: see query()). */
const AGGREGATE: Record<Exclude<Aggregation, 'avg'>, string> = {
  sum: 'SUM',
  min: 'MIN',
  max: 'MAX',
  count: 'COUNT',
  last: 'LAST',
};

const MEASUREMENT = quoteIdent(INFLUX_MEASUREMENT);
const AGENT_TAG = quoteIdent('agent_id');
const PAYLOAD = quoteIdent(PAYLOAD_FIELD);

function invalidPoint(point: SeriesPoint, what: string): RangeError {
  return new RangeError(`series point of ${String(point.agent_id)} at ${point.ts}: ${what}`);
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

/** Time-series metrics in an InfluxDB 1.x database. */
export class InfluxSeriesStore implements SeriesStore {
  private readonly http: InfluxHttp;
  /** Sub-millisecond part of the next point's ns timestamp. */
  private seq = Math.floor(Math.random() * 1_000_000);

  constructor(options: InfluxSeriesOptions) {
    this.http = new InfluxHttp(parseInfluxUrl(options.url), options.timeoutMs);
  }

  /** The database name (for logs and tests). */
  get database(): string {
    return this.http.target.database;
  }

  async migrate(): Promise<number[]> {
    await this.http.query(`CREATE DATABASE ${quoteIdent(this.database)}`, { post: true, database: false });
    const done = new Set<number>();
    for (const s of await this.http.query(`SELECT "version" FROM ${quoteIdent(MIGRATIONS_MEASUREMENT)} WHERE "component" = ${quoteString(COMPONENT)}`)) {
      const col = s.columns.indexOf('version');
      for (const v of s.values) done.add(Number(v[col]));
    }
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements) await this.http.query(statement, { post: true });
      // The record's time is its version (ns since the epoch): one point per version.
      await this.http.write(
        `${escapeMeasurement(MIGRATIONS_MEASUREMENT)},component=${COMPONENT} version=${migration.version},name=${stringField(migration.name)},applied_at=${stringField(new Date().toISOString())} ${migration.version}`,
      );
      applied.push(migration.version);
    }
    return applied;
  }

  async ping(): Promise<void> {
    await this.http.ping();
  }

  async close(): Promise<void> {
    // Plain fetch: nothing to release.
  }

  async insert(points: readonly SeriesPoint[]): Promise<void> {
    if (points.length === 0) return;
    // Every point is checked before any is sent: InfluxDB writes the good lines of a batch that has
    // bad ones, so "all or none" holds only if InfluxDB gets nothing it could refuse.
    const lines = points.map((point) => this.line(point));
    await this.http.write(lines.join('\n'));
  }

  /** The line-protocol line of one payload; throws on anything InfluxDB would refuse or mangle. */
  private line(point: SeriesPoint): string {
    if (typeof point.agent_id !== 'string') throw invalidPoint(point, 'agent_id must be a string');
    if (!Number.isSafeInteger(point.ts) || Math.abs(point.ts) > MAX_ABS_TS_MS) {
      throw invalidPoint(point, 'ts must be integer epoch ms within InfluxDB\'s range (years 1685 to 2255)');
    }
    const tags: string[] = [];
    for (const [key, value] of [
      ['agent_id', point.agent_id],
      ['deployment_type', point.deployment_type],
      ['environment', point.environment],
    ] as const) {
      if (typeof value !== 'string') throw invalidPoint(point, `${key} must be a string`);
      // An empty tag value cannot be written: the tag is left off (agent_id must not be empty).
      if (value === '' && key !== 'agent_id') continue;
      const problem = lineProtocolProblem(value);
      if (problem !== null) throw invalidPoint(point, `${key} ${problem}`);
      tags.push(`${key}=${escapeKey(value)}`);
    }
    const fields = [`${PAYLOAD_FIELD}=1`];
    for (const name of SERIES_METRIC_NAMES) {
      const value = point.values[name] ?? null;
      if (value === null) continue;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidPoint(point, `${name} is ${String(value)}`);
      fields.push(`${name}=${String(value)}`);
    }
    for (const key in point.custom) {
      const value = point.custom[key];
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidPoint(point, `custom.${key} is ${String(value)}`);
      const problem = lineProtocolProblem(key);
      if (problem !== null) throw invalidPoint(point, `custom metric key ${JSON.stringify(key)} ${problem}`);
      fields.push(`${escapeKey(`${CUSTOM_METRIC_PREFIX}${key}`)}=${String(value)}`);
    }
    // InfluxDB 1.x refuses string fields over 64 KiB; `extra` is kept for reference only (no query
    // reads it), so an oversized one is left out rather than failing the payload.
    const extra = JSON.stringify(point.extra);
    if (Buffer.byteLength(extra) <= MAX_EXTRA_BYTES) fields.push(`extra=${stringField(extra)}`);
    // Negative ts get no sub-ms part: InfluxDB truncates ns to ms toward zero.
    const sub = point.ts >= 0 ? this.nextSeq() : 0;
    const ns = BigInt(point.ts) * 1_000_000n + BigInt(sub);
    return `${escapeMeasurement(INFLUX_MEASUREMENT)},${tags.join(',')} ${fields.join(',')} ${ns}`;
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) % 1_000_000;
    return s;
  }

  async query(q: SeriesQuery): Promise<SeriesRow[]> {
    const metrics = [...new Set(q.metrics)];
    if (metrics.length === 0) throw new RangeError('a series query needs at least one metric');
    for (const name of metrics) {
      if (!isSeriesMetricName(name) && !(name.startsWith(CUSTOM_METRIC_PREFIX) && name.length > CUSTOM_METRIC_PREFIX.length)) {
        throw new RangeError(`unknown series metric: ${name}`);
      }
    }
    if (q.agentIds !== null && q.agentIds.length === 0) return [];
    if (!Number.isSafeInteger(q.startMs) || !Number.isSafeInteger(q.endMs)) throw new RangeError('query bounds must be integer epoch ms');
    const hasBuiltins = metrics.some((name) => isSeriesMetricName(name));
    const perAgent = q.groupBy !== 'none';

    // Both bounds inclusive in ms; points carry a sub-ms part, hence `< end + 1ms`.
    let where = `time >= ${q.startMs}ms AND time < ${q.endMs + 1}ms`;
    if (q.agentIds !== null) where += ` AND (${q.agentIds.map((id) => `${AGENT_TAG} = ${quoteString(id)}`).join(' OR ')})`;

    if (q.aggregation === null && q.intervalMs === null) {
      const select = [`${PAYLOAD} AS "n"`, ...metrics.map((name, i) => `${quoteIdent(name)} AS "v${i}"`)].join(', ');
      const series = await this.http.query(`SELECT ${select} FROM ${MEASUREMENT} WHERE ${where} GROUP BY ${AGENT_TAG}`);
      const rows: SeriesRow[] = [];
      // Series come per agent, each in time order (ns, so payloads sharing a ms keep insertion order).
      for (const s of sortSeries(series)) {
        const at = columnIndex(s);
        for (const v of s.values) {
          if (numberOrNull(v[at('n')]) === null) continue;
          const values: Record<string, number | null> = {};
          metrics.forEach((name, i) => {
            values[name] = numberOrNull(v[at(`v${i}`)]);
          });
          rows.push({ agent_id: s.tags.agent_id ?? '', ts: Number(v[at('time')]), values });
        }
        // InfluxDB limits per series, not per answer: counted here, before anything is sorted or sent.
        checkAnswerSize(q, rows.length);
      }
      // Stable sorts: group_by none orders by ts, then agent.
      if (!perAgent) rows.sort((a, b) => a.ts - b.ts || byCodePoint(a.agent_id ?? '', b.agent_id ?? ''));
      return rows;
    }

    const aggregation: Aggregation = q.aggregation ?? 'avg';
    if (q.intervalMs !== null && (!Number.isSafeInteger(q.intervalMs) || q.intervalMs <= 0)) throw new RangeError(`invalid interval: ${q.intervalMs}`);
    // avg is SUM / COUNT here, not MEAN: InfluxDB's MEAN over several series combines per-series
    // means, which rounds differently from the SQL adapters' one sum divided by one count.
    const aggregate = (name: string, i: number): string[] =>
      aggregation === 'avg'
        ? [`SUM(${quoteIdent(name)}) AS "v${i}"`, `COUNT(${quoteIdent(name)}) AS "c${i}"`]
        : [`${AGGREGATE[aggregation]}(${quoteIdent(name)}) AS "v${i}"`];
    const select = [
      ...metrics.flatMap(aggregate),
      // Built-in series: a bucket exists where payloads are, even if none has the metrics asked for.
      ...(hasBuiltins ? [`COUNT(${PAYLOAD}) AS "n"`] : []),
    ].join(', ');
    const groups = [...(q.intervalMs !== null ? [`time(${q.intervalMs}ms)`] : []), ...(perAgent ? [AGENT_TAG] : [])];
    const groupBy = groups.length > 0 ? ` GROUP BY ${groups.join(', ')}` : '';
    const fill = q.intervalMs !== null ? ' fill(none)' : '';
    const series = await this.http.query(`SELECT ${select} FROM ${MEASUREMENT} WHERE ${where}${groupBy}${fill}`);
    const rows: SeriesRow[] = [];
    for (const s of sortSeries(series)) {
      const at = columnIndex(s);
      for (const v of s.values) {
        const values: Record<string, number | null> = {};
        let present = hasBuiltins ? (numberOrNull(v[at('n')]) ?? 0) > 0 : false;
        metrics.forEach((name, i) => {
          let value = numberOrNull(v[at(`v${i}`)]);
          if (aggregation === 'count') value ??= 0;
          if (aggregation === 'avg') {
            const n = numberOrNull(v[at(`c${i}`)]) ?? 0;
            value = value === null || n === 0 ? null : value / n;
          }
          values[name] = value;
          if (!hasBuiltins && value !== null && !(aggregation === 'count' && value === 0)) present = true;
        });
        if (!present) continue;
        rows.push({
          agent_id: perAgent ? (s.tags.agent_id ?? '') : null,
          // Without an interval the one bucket is stamped with the start of the range.
          ts: q.intervalMs === null ? q.startMs : Number(v[at('time')]),
          values,
        });
      }
    }
    return rows;
  }

  async deleteAgent(agentId: string): Promise<number> {
    const agent = `${AGENT_TAG} = ${quoteString(agentId)}`;
    const count = await this.countPayloads(agent);
    if (count > 0) await this.http.query(`DELETE FROM ${MEASUREMENT} WHERE ${agent}`, { post: true });
    return count;
  }

  /**
   * InfluxDB cannot LIMIT a DELETE: when more than `limit` payloads are old enough, the time of the
   * limit-th oldest (exact to the ns) bounds the delete instead, so the sweeper's batches stay small.
   */
  async deleteOlderThan(agentId: string, beforeMs: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const old = `${AGENT_TAG} = ${quoteString(agentId)} AND time < ${beforeMs}ms`;
    const count = await this.countPayloads(old);
    if (count === 0) return 0;
    if (count <= limit) {
      await this.http.query(`DELETE FROM ${MEASUREMENT} WHERE ${old}`, { post: true });
      return count;
    }
    // RFC 3339 times (no epoch parameter) keep the ns that a JSON number would round.
    const nth = await this.http.query(`SELECT ${PAYLOAD} FROM ${MEASUREMENT} WHERE ${old} ORDER BY time ASC LIMIT 1 OFFSET ${limit - 1}`, { epoch: null });
    const time = nth[0]?.values[0]?.[0];
    if (typeof time !== 'string') throw new Error(`InfluxDB did not return the ${limit}th oldest point of ${agentId}`);
    await this.http.query(`DELETE FROM ${MEASUREMENT} WHERE ${AGENT_TAG} = ${quoteString(agentId)} AND time <= ${quoteString(time)}`, { post: true });
    return count - (await this.countPayloads(old));
  }

  async agentIds(): Promise<string[]> {
    const series = await this.http.query(`SHOW TAG VALUES FROM ${MEASUREMENT} WITH KEY = ${AGENT_TAG}`);
    const ids = new Set<string>();
    for (const s of series) {
      const col = s.columns.indexOf('value');
      for (const v of s.values) if (typeof v[col] === 'string') ids.add(v[col]);
    }
    return [...ids].sort(byCodePoint);
  }

  async agentsWithPoints(agentIds: readonly string[] | null, startMs: number, endMs: number): Promise<string[]> {
    return agentsByCount(this, agentIds, startMs, endMs);
  }

  async stats(): Promise<{ points: number; bytes: number | null }> {
    return { points: await this.countPayloads(null), bytes: null };
  }

  /** Payload points matching `where` (null: all). */
  private async countPayloads(where: string | null): Promise<number> {
    const series = await this.http.query(`SELECT COUNT(${PAYLOAD}) FROM ${MEASUREMENT}${where === null ? '' : ` WHERE ${where}`}`);
    return Number(series[0]?.values[0]?.[1] ?? 0);
  }
}

/** Series by agent_id in byte order (series without the tag first). */
function sortSeries(series: InfluxSeries[]): InfluxSeries[] {
  return [...series].sort((a, b) => byCodePoint(a.tags.agent_id ?? '', b.tags.agent_id ?? ''));
}

/** Column positions of a series by name. */
function columnIndex(s: InfluxSeries): (name: string) => number {
  const index = new Map(s.columns.map((c, i) => [c, i]));
  return (name) => index.get(name) ?? -1;
}
