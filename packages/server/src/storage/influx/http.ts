/**
 * A small InfluxDB 1.x HTTP client on Node's global fetch: /ping, /write (line protocol) and
 * /query (InfluxQL, chunked so no row limit cuts an answer short), plus the quoting both languages
 * need. Errors always carry InfluxDB's own message.
 */

/** Where an InfluxDB 1.x database lives, parsed from `http://[user:pass@]host:port/<database>`. */
export interface InfluxTarget {
  /** Base URL without credentials or path, e.g. `http://127.0.0.1:8086`. */
  base: string;
  database: string;
  /** `Basic ...` header value, or null without credentials. */
  authorization: string | null;
}

/** Parses an AGENTMON_INFLUX_URL; throws a RangeError saying what is wrong. */
export function parseInfluxUrl(url: string): InfluxTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError('not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RangeError('must be an http(s):// URL');
  const database = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, ''));
  if (database === '' || database.includes('/')) throw new RangeError('its path must name the database, e.g. http://127.0.0.1:8086/agentmon');
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  const authorization = user !== '' || pass !== '' ? `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` : null;
  return { base: `${u.protocol}//${u.host}`, database, authorization };
}

/** An InfluxQL identifier in double quotes. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** An InfluxQL string literal in single quotes. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Line protocol has no way to write a newline, nor a backslash right before a character it escapes
 * (or at the end) in keys and tag values: such names are refused rather than stored mangled.
 */
export function lineProtocolProblem(name: string): string | null {
  if (name === '') return 'is empty';
  if (/[\r\n]/.test(name)) return 'contains a line break';
  if (/\\([ ,=]|$)/.test(name)) return 'has a backslash before a space, comma, equals sign or at its end';
  return null;
}

/** A tag key, tag value or field key escaped for line protocol (checked with lineProtocolProblem first). */
export function escapeKey(name: string): string {
  return name.replace(/[ ,=]/g, (c) => `\\${c}`);
}

/** A measurement name escaped for line protocol. */
export function escapeMeasurement(name: string): string {
  return name.replace(/[ ,]/g, (c) => `\\${c}`);
}

/** A string field value for line protocol. */
export function stringField(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** One series of an InfluxQL answer (chunks of one series are merged). */
export interface InfluxSeries {
  name: string;
  tags: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

interface RawResult {
  statement_id?: number;
  error?: string;
  series?: { name: string; tags?: Record<string, string>; columns: string[]; values?: unknown[][] }[];
}

/** Requests against one database. */
export class InfluxHttp {
  constructor(readonly target: InfluxTarget, private readonly timeoutMs = 30_000) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.target.authorization === null ? extra : { ...extra, authorization: this.target.authorization };
  }

  private async request(path: string, init: RequestInit, what: string): Promise<Response> {
    try {
      return await fetch(`${this.target.base}${path}`, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new Error(`InfluxDB ${what} at ${this.target.base} failed: ${cause}`);
    }
  }

  /** Throws unless /ping answers 204. */
  async ping(): Promise<void> {
    const res = await this.request('/ping', { method: 'GET', headers: this.headers() }, 'ping');
    await res.arrayBuffer();
    if (res.status !== 204) throw new Error(`InfluxDB ping at ${this.target.base} answered HTTP ${res.status}`);
  }

  /** Writes line-protocol text (precision ns); rejects with InfluxDB's message on anything but 204. */
  async write(lines: string): Promise<void> {
    const params = new URLSearchParams({ db: this.target.database, precision: 'ns' });
    const res = await this.request(
      `/write?${params}`,
      { method: 'POST', headers: this.headers({ 'content-type': 'text/plain; charset=utf-8' }), body: lines },
      'write',
    );
    const body = await res.text();
    if (res.status !== 204) throw new Error(`InfluxDB write to ${this.target.database} failed (HTTP ${res.status}): ${errorText(body)}`);
  }

  /**
   * Runs one InfluxQL statement and returns its series. `post`: for statements that change
   * something (DDL, DELETE). `epoch`: 'ms' for numeric times, null for RFC 3339 strings (ns exact).
   */
  async query(statement: string, options: { post?: boolean; epoch?: 'ms' | null; database?: boolean } = {}): Promise<InfluxSeries[]> {
    const params = new URLSearchParams({ q: statement, chunked: 'true', chunk_size: '10000' });
    if (options.database ?? true) params.set('db', this.target.database);
    const epoch = options.epoch === undefined ? 'ms' : options.epoch;
    if (epoch !== null) params.set('epoch', epoch);
    // Reads go by GET unless long (an agent filter of many ids): POST takes any length.
    const post = options.post === true || params.toString().length > 6000;
    const init: RequestInit = post
      ? { method: 'POST', headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded' }), body: params.toString() }
      : { method: 'GET', headers: this.headers() };
    const res = await this.request(post ? '/query' : `/query?${params}`, init, 'query');
    const body = await res.text();
    if (res.status !== 200) throw new Error(`InfluxDB query failed (HTTP ${res.status}): ${errorText(body)} [${statement.slice(0, 300)}]`);
    const merged = new Map<string, InfluxSeries>();
    // Chunked answers are one JSON document per line; a series may continue in the next chunk.
    for (const line of body.split('\n')) {
      if (line.trim() === '') continue;
      const doc = JSON.parse(line) as { error?: string; results?: RawResult[] };
      if (doc.error) throw new Error(`InfluxDB query failed: ${doc.error} [${statement.slice(0, 300)}]`);
      for (const result of doc.results ?? []) {
        if (result.error) throw new Error(`InfluxDB query failed: ${result.error} [${statement.slice(0, 300)}]`);
        for (const s of result.series ?? []) {
          const tags = s.tags ?? {};
          const key = `${s.name}\u0000${JSON.stringify(tags)}`;
          const known = merged.get(key);
          if (known) known.values.push(...(s.values ?? []));
          else merged.set(key, { name: s.name, tags, columns: s.columns, values: [...(s.values ?? [])] });
        }
      }
    }
    return [...merged.values()];
  }
}

/** InfluxDB's error text out of a JSON `{"error": ...}` body, or the body itself. */
function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON
  }
  return body.trim().slice(0, 500) || '(empty answer)';
}
