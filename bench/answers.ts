/**
 * Checking the compare mode's query answers against the values the dataset holds: each system's
 * response parsed into one shape (bucket start -> value, agent -> value, agent -> field -> value)
 * and compared value by value with a relative tolerance, so a fast wrong answer cannot pass.
 */
import { BUCKET_MS, MEASUREMENT } from './dataset.js';

/** Relative difference up to which a value counts as exact (float summation order). */
export const EXACT = 1e-9;
/** Relative difference up to which a value counts as rounded, not wrong (a store that rounds values). */
export const ROUNDED = 1e-6;

/** How closely one answer matched the data. */
export interface Check {
  /** Values compared. */
  compared: number;
  /** Largest relative difference among the values within ROUNDED (0: all equal). */
  maxRelErr: number;
  /** Values beyond ROUNDED, missing or unexpected; the first few are described. */
  problemCount: number;
  problems: string[];
}

/** Collects the comparisons of one answer. */
export class Checker {
  private compared = 0;
  private maxRelErr = 0;
  private problemCount = 0;
  private readonly problems: string[] = [];

  /** Compares one value; null or undefined stand for "no value". */
  value(where: string, got: number | null | undefined, want: number | null): void {
    this.compared += 1;
    const has = got !== null && got !== undefined && !Number.isNaN(got);
    if (want === null) {
      if (has) this.problem(`${where}: expected no value, got ${got}`);
      return;
    }
    if (!has) {
      this.problem(`${where}: expected ${want}, got none`);
      return;
    }
    // Relative to the expected value; absolute when it is 0.
    const rel = want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
    if (rel > ROUNDED) this.problem(`${where}: expected ${want}, got ${got}`);
    else this.maxRelErr = Math.max(this.maxRelErr, rel);
  }

  /** Records a failure that is not one value (an error answer, an unknown agent). */
  problem(text: string): void {
    this.problemCount += 1;
    if (this.problems.length < 3) this.problems.push(text);
  }

  /** What was found. */
  result(): Check {
    return { compared: this.compared, maxRelErr: this.maxRelErr, problemCount: this.problemCount, problems: [...this.problems] };
  }
}

/** A check that could not compare: the answer was an error or could not be read. */
export function failedCheck(text: string): Check {
  const c = new Checker();
  c.problem(text);
  return c.result();
}

/** The verdict over all runs of one query. */
export interface Verdict {
  /** exact: every value within EXACT; rounded: within ROUNDED (allowed for peers, wrong for agentmon); WRONG otherwise. */
  label: 'exact' | 'rounded' | 'WRONG';
  detail: string;
}

/** Sums the runs' checks; `exactOnly` (agentmon) turns a rounded answer into a wrong one. */
export function verdictOf(checks: readonly Check[], exactOnly: boolean): Verdict {
  const compared = checks.reduce((n, c) => n + c.compared, 0);
  const problems = checks.reduce((n, c) => n + c.problemCount, 0);
  const maxRel = checks.reduce((m, c) => Math.max(m, c.maxRelErr), 0);
  const first = checks.flatMap((c) => c.problems).slice(0, 3);
  const runs = `${checks.length} answers, ${compared} values`;
  if (problems > 0) return { label: 'WRONG', detail: `${problems} wrong or missing value(s) in ${runs}: ${first.join('; ')}` };
  if (maxRel > EXACT) {
    const detail = `${runs}, largest relative difference ${maxRel.toExponential(1)}`;
    return exactOnly ? { label: 'WRONG', detail: `not exact: ${detail}` } : { label: 'rounded', detail: `values rounded: ${detail}` };
  }
  return { label: 'exact', detail: `${runs}, largest relative difference ${maxRel === 0 ? '0' : maxRel.toExponential(1)}` };
}

/** Compares bucketed averages (bucket start ms -> value) with the expected non-empty buckets. */
export function checkBuckets(got: Map<number, number | null>, want: Map<number, number>, what: string): Check {
  const c = new Checker();
  for (const [ts, v] of want) c.value(`${what} bucket ${new Date(ts).toISOString()}`, got.get(ts), v);
  for (const [ts, v] of got) if (!want.has(ts) && v !== null) c.problem(`${what}: unexpected bucket ${new Date(ts).toISOString()} = ${v}`);
  return c.result();
}

/** Compares one value per agent (agent id -> value) with the expected ones, in fleet order. */
export function checkPerAgent(got: Map<string, number | null>, ids: readonly string[], want: readonly (number | null)[], what: string): Check {
  const c = new Checker();
  ids.forEach((id, a) => c.value(`${what} agent ${id}`, got.get(id), want[a] ?? null));
  const known = new Set(ids);
  for (const id of got.keys()) if (!known.has(id)) c.problem(`${what}: unknown agent ${id}`);
  return c.result();
}

/** Compares every field per agent with the expected latest values, for the fields `inScope` says the system answers. */
export function checkAllFields(
  got: Map<string, Map<string, number | null>>,
  ids: readonly string[],
  want: readonly Map<string, number>[],
  inScope: (field: string) => boolean,
  what: string,
): Check {
  const c = new Checker();
  ids.forEach((id, a) => {
    const expected = want[a] ?? new Map<string, number>();
    const answered = got.get(id) ?? new Map<string, number | null>();
    const fields = new Set([...expected.keys(), ...answered.keys()].filter(inScope));
    for (const f of fields) c.value(`${what} agent ${id} ${f}`, answered.get(f), expected.get(f) ?? null);
  });
  const known = new Set(ids);
  for (const id of got.keys()) if (!known.has(id)) c.problem(`${what}: unknown agent ${id}`);
  return c.result();
}

// ---------------------------------------------------------------- agentmon (MetricsResponse)

type Row = Record<string, unknown> & { timestamp: string; agent_id?: string | null };

const num = (v: unknown): number | null => (typeof v === 'number' ? v : v === null || v === undefined ? null : Number(v));

function agentmonRows(body: string): Row[] {
  return (JSON.parse(body) as { data: Row[] }).data;
}

/** agentmon's bucketed rows of one metric: bucket start -> value. */
export function agentmonBuckets(body: string, metric: string): Map<number, number | null> {
  return new Map(agentmonRows(body).map((r) => [Date.parse(r.timestamp), num(r[metric])]));
}

/** agentmon's rows per agent of one metric: agent id -> value. */
export function agentmonByAgent(body: string, metric: string): Map<string, number | null> {
  return new Map(agentmonRows(body).map((r) => [String(r.agent_id), num(r[metric])]));
}

/** agentmon's rows per agent with every metric: agent id -> metric -> value. */
export function agentmonAllByAgent(body: string): Map<string, Map<string, number | null>> {
  const out = new Map<string, Map<string, number | null>>();
  for (const r of agentmonRows(body)) {
    const fields = new Map<string, number | null>();
    for (const [k, v] of Object.entries(r)) if (k !== 'agent_id' && k !== 'timestamp') fields.set(k, num(v));
    out.set(String(r.agent_id), fields);
  }
  return out;
}

// ---------------------------------------------------------------- VictoriaMetrics (Prometheus API)

interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

function promResult(body: string): PromSeries[] {
  const parsed = JSON.parse(body) as { status: string; error?: string; data?: { result: PromSeries[] } };
  if (parsed.status !== 'success') throw new Error(parsed.error ?? `status ${parsed.status}`);
  return parsed.data?.result ?? [];
}

/**
 * A range query's single series, keyed by the bucket each point covers: VictoriaMetrics stamps a
 * window (t - 5m, t] with its end t, agentmon and InfluxDB a bucket with its start.
 */
export function vmBuckets(body: string): Map<number, number | null> {
  const series = promResult(body);
  if (series.length > 1) throw new Error(`expected one series, got ${series.length}`);
  return new Map((series[0]?.values ?? []).map(([t, v]) => [Math.round(t * 1000) - BUCKET_MS, Number(v)]));
}

/** An instant query's series per agent: agent id -> value. */
export function vmByAgent(body: string): Map<string, number | null> {
  return new Map(promResult(body).map((s) => [s.metric.agent_id ?? '?', s.value ? Number(s.value[1]) : null]));
}

/** An instant query over every `agent_<field>` series: agent id -> field -> value. */
export function vmAllByAgent(body: string): Map<string, Map<string, number | null>> {
  const out = new Map<string, Map<string, number | null>>();
  const prefix = `${MEASUREMENT}_`;
  for (const s of promResult(body)) {
    const id = s.metric.agent_id ?? '?';
    const name = s.metric.__name__ ?? '?';
    const fields = out.get(id) ?? new Map<string, number | null>();
    fields.set(name.startsWith(prefix) ? name.slice(prefix.length) : name, s.value ? Number(s.value[1]) : null);
    out.set(id, fields);
  }
  return out;
}

// ---------------------------------------------------------------- InfluxDB (/query JSON, epoch=ms)

interface InfluxSeries {
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

function influxSeries(body: string): InfluxSeries[] {
  const parsed = JSON.parse(body) as { error?: string; results?: { error?: string; series?: InfluxSeries[] }[] };
  const error = parsed.error ?? parsed.results?.[0]?.error;
  if (error) throw new Error(error);
  return parsed.results?.[0]?.series ?? [];
}

/** A GROUP BY time() answer's single series: bucket start -> value. */
export function influxBuckets(body: string): Map<number, number | null> {
  const series = influxSeries(body);
  if (series.length > 1) throw new Error(`expected one series, got ${series.length}`);
  return new Map((series[0]?.values ?? []).map((row) => [Number(row[0]), num(row[1])]));
}

/** A GROUP BY agent_id answer of one column: agent id -> value. */
export function influxByAgent(body: string): Map<string, number | null> {
  return new Map(influxSeries(body).map((s) => [s.tags?.agent_id ?? '?', num(s.values[0]?.[1])]));
}

/** A `last(*)` GROUP BY agent_id answer: agent id -> field -> value (columns are `last_<field>`). */
export function influxAllByAgent(body: string): Map<string, Map<string, number | null>> {
  const out = new Map<string, Map<string, number | null>>();
  for (const s of influxSeries(body)) {
    const fields = new Map<string, number | null>();
    s.columns.forEach((col, i) => {
      if (col !== 'time') fields.set(col.replace(/^last_/, ''), num(s.values[0]?.[i]));
    });
    out.set(s.tags?.agent_id ?? '?', fields);
  }
  return out;
}
