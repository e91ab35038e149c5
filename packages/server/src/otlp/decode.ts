/**
 * Reads an OTLP export request, given as a plain object (JSON.parse of an OTLP/JSON body, or
 * protobufjs' toObject of a protobuf one), into model.ts. One reader serves both encodings: it takes
 * lowerCamelCase or snake_case keys, 64-bit integers as numbers or decimal strings, enums as numbers
 * or names, and ids as bytes or hex. Anything malformed is an OtlpDecodeError naming its place.
 */
import type {
  AttributeValue,
  Attributes,
  DataPoint,
  Metric,
  MetricKind,
  ResourceMetrics,
  ResourceSpans,
  Span,
  SpanStatusCode,
  Temporality,
} from './model.js';

/** A malformed export request: where (a JSON pointer in the request) and what. */
export class OtlpDecodeError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

type Obj = Record<string, unknown>;

/** Deepest nesting of attribute values read; deeper ones are kept as null (no agentmon field reads them). */
const MAX_VALUE_DEPTH = 8;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** snake_case of a lowerCamelCase key. */
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The field under its lowerCamelCase name or its proto (snake_case) name. */
function field(o: Obj, key: string): unknown {
  const v = o[key];
  return v !== undefined ? v : o[snake(key)];
}

function objectAt(o: Obj, key: string, path: string, required = false): Obj | null {
  const v = field(o, key);
  if (v === undefined || v === null) {
    if (required) throw new OtlpDecodeError(`${path}/${key}`, 'is required');
    return null;
  }
  if (!isObj(v)) throw new OtlpDecodeError(`${path}/${key}`, 'must be an object');
  return v;
}

function listAt(o: Obj, key: string, path: string): unknown[] {
  const v = field(o, key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${path}/${key}`, 'must be an array');
  return v;
}

function stringAt(o: Obj, key: string, path: string): string {
  const v = field(o, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new OtlpDecodeError(`${path}/${key}`, 'must be a string');
  return v;
}

function boolAt(o: Obj, key: string, path: string): boolean {
  const v = field(o, key);
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new OtlpDecodeError(`${path}/${key}`, 'must be a boolean');
  return v;
}

/** A 64-bit unsigned integer (number or decimal string) as a JS number; undefined when absent. */
function uint64At(o: Obj, key: string, path: string): number | undefined {
  const v = field(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return Number(v);
  throw new OtlpDecodeError(`${path}/${key}`, 'must be an unsigned integer (a number or a decimal string)');
}

/** Nanoseconds since the epoch (number or decimal string) as milliseconds; null when absent or 0. */
function timeMsAt(o: Obj, key: string, path: string): number | null {
  const v = field(o, key);
  if (v === undefined || v === null) return null;
  let ms: number;
  // A string keeps all 64 bits; BigInt divides exactly where a double would round.
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) ms = Number(BigInt(v) / 1_000_000n);
  else if (typeof v === 'number' && Number.isFinite(v) && v >= 0) ms = Math.floor(v / 1e6);
  else throw new OtlpDecodeError(`${path}/${key}`, 'must be nanoseconds since the epoch (a number or a decimal string)');
  return ms === 0 ? null : ms;
}

/** A double (number, or the strings JSON uses for the ones it cannot write); undefined when absent. */
function doubleAt(o: Obj, key: string, path: string): number | undefined {
  const v = field(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new OtlpDecodeError(`${path}/${key}`, 'must be a number');
}

/** A signed 64-bit integer (number or decimal string); undefined when absent. */
function int64At(o: Obj, key: string, path: string): number | undefined {
  const v = field(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return Number(v);
  throw new OtlpDecodeError(`${path}/${key}`, 'must be an integer (a number or a decimal string)');
}

/** An enum given as its number or its name. */
function enumAt(o: Obj, key: string, path: string, names: readonly string[]): number {
  const v = field(o, key);
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const i = names.indexOf(v);
    if (i >= 0) return i;
  }
  throw new OtlpDecodeError(`${path}/${key}`, `must be one of ${names.join(', ')} or its number`);
}

/** Trace and span ids: bytes (protobuf) or hex (OTLP/JSON), as lowercase hex. */
function idAt(o: Obj, key: string, path: string): string {
  const v = field(o, key);
  if (v === undefined || v === null || v === '') return '';
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (typeof v === 'string' && /^[0-9a-fA-F]*$/.test(v) && v.length % 2 === 0) return v.toLowerCase();
  throw new OtlpDecodeError(`${path}/${key}`, 'must be a hex-encoded id');
}

function anyValue(v: unknown, path: string, depth: number): AttributeValue {
  if (!isObj(v)) throw new OtlpDecodeError(path, 'must be an AnyValue object');
  if (depth > MAX_VALUE_DEPTH) return null;
  if (field(v, 'stringValue') !== undefined) return stringAt(v, 'stringValue', path);
  if (field(v, 'boolValue') !== undefined) return boolAt(v, 'boolValue', path);
  if (field(v, 'intValue') !== undefined) return int64At(v, 'intValue', path) ?? null;
  if (field(v, 'doubleValue') !== undefined) return doubleAt(v, 'doubleValue', path) ?? null;
  const array = objectAt(v, 'arrayValue', path);
  if (array) return listAt(array, 'values', `${path}/arrayValue`).map((x, i) => anyValue(x, `${path}/arrayValue/values/${i}`, depth + 1));
  const kvlist = objectAt(v, 'kvlistValue', path);
  if (kvlist) return attributes(kvlist, 'values', `${path}/kvlistValue`, depth + 1);
  // bytesValue and an empty AnyValue: nothing agentmon reads.
  return null;
}

function attributes(o: Obj, key: string, path: string, depth = 0): Attributes {
  const out: Attributes = {};
  listAt(o, key, path).forEach((kv, i) => {
    const at = `${path}/${key}/${i}`;
    if (!isObj(kv)) throw new OtlpDecodeError(at, 'must be a KeyValue object');
    const name = stringAt(kv, 'key', at);
    const value = field(kv, 'value');
    out[name] = value === undefined || value === null ? null : anyValue(value, `${at}/value`, depth);
  });
  return out;
}

function resourceOf(o: Obj, path: string): Attributes {
  const resource = objectAt(o, 'resource', path);
  return resource ? attributes(resource, 'attributes', `${path}/resource`) : {};
}

const TEMPORALITY = ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 'AGGREGATION_TEMPORALITY_DELTA', 'AGGREGATION_TEMPORALITY_CUMULATIVE'] as const;
const TEMPORALITY_OF: readonly Temporality[] = ['unspecified', 'delta', 'cumulative'];

/** DataPointFlags.FLAG_NO_RECORDED_VALUE: the point only marks a series as gone stale. */
const NO_RECORDED_VALUE = 1;

function dataPoint(p: unknown, kind: MetricKind, path: string): DataPoint | null {
  if (!isObj(p)) throw new OtlpDecodeError(path, 'must be a data point object');
  const flags = uint64At(p, 'flags', path) ?? 0;
  const timeMs = timeMsAt(p, 'timeUnixNano', path);
  if (timeMs === null) throw new OtlpDecodeError(`${path}/timeUnixNano`, 'is required');
  const point: DataPoint = {
    attributes: attributes(p, 'attributes', path),
    startMs: timeMsAt(p, 'startTimeUnixNano', path),
    timeMs,
    value: null,
    count: null,
    sum: null,
  };
  if ((flags & NO_RECORDED_VALUE) !== 0) return null;
  if (kind === 'gauge' || kind === 'sum') {
    const asDouble = doubleAt(p, 'asDouble', path);
    const asInt = int64At(p, 'asInt', path);
    point.value = asDouble ?? asInt ?? null;
    if (point.value === null) throw new OtlpDecodeError(`${path}/asDouble`, 'a number data point needs asDouble or asInt');
  } else {
    point.count = uint64At(p, 'count', path) ?? 0;
    point.sum = doubleAt(p, 'sum', path) ?? null;
  }
  return point;
}

const KINDS: readonly { key: string; kind: MetricKind }[] = [
  { key: 'gauge', kind: 'gauge' },
  { key: 'sum', kind: 'sum' },
  { key: 'histogram', kind: 'histogram' },
  { key: 'exponentialHistogram', kind: 'exponential_histogram' },
  { key: 'summary', kind: 'summary' },
];

function metric(m: unknown, path: string): Metric | null {
  if (!isObj(m)) throw new OtlpDecodeError(path, 'must be a Metric object');
  const name = stringAt(m, 'name', path);
  if (name === '') throw new OtlpDecodeError(`${path}/name`, 'is required');
  const found = KINDS.find((k) => field(m, k.key) !== undefined && field(m, k.key) !== null);
  // A metric with no data (the oneof unset) carries nothing to take.
  if (!found) return null;
  const data = objectAt(m, found.key, path, true) as Obj;
  const dataPath = `${path}/${found.key}`;
  const temporality = found.kind === 'gauge' || found.kind === 'summary' ? 0 : enumAt(data, 'aggregationTemporality', dataPath, TEMPORALITY);
  const points: DataPoint[] = [];
  listAt(data, 'dataPoints', dataPath).forEach((p, i) => {
    const point = dataPoint(p, found.kind, `${dataPath}/dataPoints/${i}`);
    if (point) points.push(point);
  });
  return {
    name,
    unit: stringAt(m, 'unit', path),
    kind: found.kind,
    temporality: TEMPORALITY_OF[temporality] ?? 'unspecified',
    monotonic: found.kind === 'sum' ? boolAt(data, 'isMonotonic', dataPath) : false,
    points,
  };
}

/** The resources and their metrics of an ExportMetricsServiceRequest. */
export function readMetricsRequest(body: unknown): ResourceMetrics[] {
  if (!isObj(body)) throw new OtlpDecodeError('', 'the body must be an ExportMetricsServiceRequest object');
  return listAt(body, 'resourceMetrics', '').map((rm, i) => {
    const path = `/resourceMetrics/${i}`;
    if (!isObj(rm)) throw new OtlpDecodeError(path, 'must be a ResourceMetrics object');
    const metrics: Metric[] = [];
    listAt(rm, 'scopeMetrics', path).forEach((sm, j) => {
      const scopePath = `${path}/scopeMetrics/${j}`;
      if (!isObj(sm)) throw new OtlpDecodeError(scopePath, 'must be a ScopeMetrics object');
      listAt(sm, 'metrics', scopePath).forEach((m, k) => {
        const read = metric(m, `${scopePath}/metrics/${k}`);
        if (read) metrics.push(read);
      });
    });
    return { resource: resourceOf(rm, path), metrics };
  });
}

const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;
const STATUS_OF: readonly SpanStatusCode[] = ['unset', 'ok', 'error'];
const SPAN_KINDS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
] as const;

function span(s: unknown, path: string): Span {
  if (!isObj(s)) throw new OtlpDecodeError(path, 'must be a Span object');
  const startMs = timeMsAt(s, 'startTimeUnixNano', path);
  const endMs = timeMsAt(s, 'endTimeUnixNano', path);
  if (startMs === null) throw new OtlpDecodeError(`${path}/startTimeUnixNano`, 'is required');
  if (endMs === null) throw new OtlpDecodeError(`${path}/endTimeUnixNano`, 'is required');
  const status = objectAt(s, 'status', path);
  const code = status ? enumAt(status, 'code', `${path}/status`, STATUS_CODES) : 0;
  return {
    traceId: idAt(s, 'traceId', path),
    spanId: idAt(s, 'spanId', path),
    parentSpanId: idAt(s, 'parentSpanId', path),
    name: stringAt(s, 'name', path),
    kind: enumAt(s, 'kind', path, SPAN_KINDS),
    startMs,
    endMs,
    attributes: attributes(s, 'attributes', path),
    status: { code: STATUS_OF[code] ?? 'unset', message: status ? stringAt(status, 'message', `${path}/status`) : '' },
  };
}

/** The resources and their spans of an ExportTraceServiceRequest. */
export function readTraceRequest(body: unknown): ResourceSpans[] {
  if (!isObj(body)) throw new OtlpDecodeError('', 'the body must be an ExportTraceServiceRequest object');
  return listAt(body, 'resourceSpans', '').map((rs, i) => {
    const path = `/resourceSpans/${i}`;
    if (!isObj(rs)) throw new OtlpDecodeError(path, 'must be a ResourceSpans object');
    const spans: Span[] = [];
    listAt(rs, 'scopeSpans', path).forEach((ss, j) => {
      const scopePath = `${path}/scopeSpans/${j}`;
      if (!isObj(ss)) throw new OtlpDecodeError(scopePath, 'must be a ScopeSpans object');
      listAt(ss, 'spans', scopePath).forEach((sp, k) => spans.push(span(sp, `${scopePath}/spans/${k}`)));
    });
    return { resource: resourceOf(rs, path), spans };
  });
}
