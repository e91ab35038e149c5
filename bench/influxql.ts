/** InfluxQL over HTTP for the bench's own readings of an influxd (SHOW STATS, SHOW DIAGNOSTICS, ...). */

/** A series of an InfluxQL answer (`/query`, JSON). */
export interface InfluxSeriesJson {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** The series of one InfluxQL statement (meta queries such as SHOW STATS, SHOW DIAGNOSTICS). */
export async function influxQuery(base: string, q: string): Promise<InfluxSeriesJson[]> {
  const res = await fetch(`${base}/query?q=${encodeURIComponent(q)}`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`influxd ${q}: HTTP ${res.status} ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { error?: string; results?: { error?: string; series?: InfluxSeriesJson[] }[] };
  const first = body.results?.[0];
  const error = body.error ?? first?.error;
  if (error) throw new Error(`influxd ${q}: ${error}`);
  return first?.series ?? [];
}

/** The first row's value of `column` in the series called `name`. */
export function influxCell(series: InfluxSeriesJson[], name: string, column: string): unknown {
  const s = series.find((x) => x.name === name);
  const i = s ? s.columns.indexOf(column) : -1;
  return i < 0 ? undefined : s?.values[0]?.[i];
}

