// Proves the TypeBox models match the seed's pydantic models, read from the seed's own text.
//
// SEED is the seed's Python (the data-model spec, sections 1 to 6), kept verbatim in
// packages/schema/seed/models.py. A small parser turns it into enums and models with their fields, types, bounds and
// defaults, and every expectation below is derived from that: names, required fields, types,
// ge/le bounds (inclusive), defaults, Optional[...] fields. Where agentmon deliberately departs
// from the seed (extra fields, extra bounds, prose lists made enums), the departure is listed in
// DEPARTURES and pinned by its own test, so a new one cannot slip in unnoticed.
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import type { TSchema } from 'typebox';
import { Format } from 'typebox/format';
import { Value } from 'typebox/value';
import * as api from './index.js';
import { isDateTime } from './common.js';

// TypeBox's built-in `date-time` demands an offset; the wire reads offset-less timestamps as UTC.
Format.Set('date-time', isDateTime);

/** The seed's Python, verbatim (packages/schema/seed/models.py); lines outside its classes are ignored. */
const SEED = readFileSync(fileURLToPath(new URL('../seed/models.py', import.meta.url)), 'utf8');

// ---------------------------------------------------------------- the seed, parsed

type SeedType =
  | { kind: 'int' | 'float' | 'str' | 'bool' | 'datetime' | 'any' }
  | { kind: 'enum' | 'model'; name: string }
  | { kind: 'optional'; inner: SeedType }
  | { kind: 'list'; item: SeedType }
  | { kind: 'dict'; value: SeedType };

type SeedDefault =
  | { kind: 'required' }
  /** A literal, an enum member, or what a constant factory (dict, list, lambda: [...]) returns. */
  | { kind: 'value'; value: unknown }
  /** uuid4 or datetime.utcnow: no constant, the server fills it. */
  | { kind: 'dynamic'; factory: string };

interface SeedField {
  model: string;
  name: string;
  /** The seed's line, trimmed. */
  line: string;
  type: SeedType;
  default: SeedDefault;
  ge?: number;
  le?: number;
  description?: string;
  comment?: string;
}

interface SeedEnum {
  name: string;
  members: ReadonlyArray<readonly [member: string, value: string]>;
}

/** Splits on commas outside brackets, parentheses and quotes. */
function splitTop(src: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === '[' || c === '(' || c === '{') depth++;
    else if (c === ']' || c === ')' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(src.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = src.slice(start).trim();
  if (last !== '') parts.push(last);
  return parts;
}

function parseSeed(text: string): { enums: Map<string, SeedEnum>; models: Map<string, SeedField[]> } {
  const lines = text.split('\n').map((l) => l.trimEnd());
  const enums = new Map<string, SeedEnum>();
  const models = new Map<string, SeedField[]>();
  for (const line of lines) {
    const cls = /^class (\w+)\((str, Enum|BaseModel)\):$/.exec(line);
    if (cls?.[1] && cls[2] === 'BaseModel') models.set(cls[1], []);
    else if (cls?.[1]) enums.set(cls[1], { name: cls[1], members: [] });
  }

  const literal = (src: string): unknown => {
    if (src === 'None') return null;
    if (src === 'True') return true;
    if (src === 'False') return false;
    if (/^-?\d+(\.\d+)?$/.test(src)) return Number(src);
    const str = /^"([^"]*)"$/.exec(src);
    if (str) return str[1];
    const list = /^\[(.*)\]$/.exec(src);
    if (list) return splitTop(list[1] ?? '').map(literal);
    const member = /^(\w+)\.([A-Z_]+)$/.exec(src);
    const value = member && enums.get(member[1] ?? '')?.members.find(([m]) => m === member[2])?.[1];
    if (value !== undefined && value !== null) return value;
    throw new Error(`seed: unknown literal ${src}`);
  };

  const factory = (src: string): SeedDefault => {
    if (src === 'dict') return { kind: 'value', value: {} };
    if (src === 'list') return { kind: 'value', value: [] };
    const lambdaList = /^lambda: (\[.*\])$/.exec(src);
    if (lambdaList?.[1]) return { kind: 'value', value: literal(lambdaList[1]) };
    if (src === 'datetime.utcnow' || src === 'lambda: str(uuid4())') return { kind: 'dynamic', factory: src };
    throw new Error(`seed: unknown default_factory ${src}`);
  };

  const parseType = (src: string): SeedType => {
    const generic = /^(Optional|List|Dict)\[(.*)\]$/.exec(src);
    if (generic) {
      const args = splitTop(generic[2] ?? '').map(parseType);
      const [first, second] = args;
      assert.ok(first, src);
      if (generic[1] === 'Optional') return { kind: 'optional', inner: first };
      if (generic[1] === 'List') return { kind: 'list', item: first };
      assert.deepEqual(first, { kind: 'str' }, `${src}: keys are strings`);
      assert.ok(second, src);
      return { kind: 'dict', value: second };
    }
    if (src === 'int' || src === 'float' || src === 'str' || src === 'bool' || src === 'datetime') return { kind: src };
    if (src === 'Any') return { kind: 'any' };
    if (enums.has(src)) return { kind: 'enum', name: src };
    if (models.has(src)) return { kind: 'model', name: src };
    throw new Error(`seed: unknown type ${src}`);
  };

  let current: { kind: 'enum'; e: SeedEnum } | { kind: 'model'; name: string; fields: SeedField[] } | undefined;
  for (const line of lines) {
    const cls = /^class (\w+)\(/.exec(line);
    if (cls?.[1]) {
      const e = enums.get(cls[1]);
      const fields = models.get(cls[1]);
      current = e ? { kind: 'enum', e } : fields ? { kind: 'model', name: cls[1], fields } : undefined;
      continue;
    }
    if (!current || line.trim() === '' || /^\s*("""|#)/.test(line)) continue;
    if (!line.startsWith('    ')) {
      current = undefined;
      continue;
    }
    if (current.kind === 'enum') {
      const m = /^ {4}([A-Z_]+) = "([a-z_]+)"$/.exec(line);
      assert.ok(m?.[1] && m[2], `seed: enum member line ${line}`);
      (current.e.members as Array<readonly [string, string]>).push([m[1], m[2]]);
      continue;
    }
    const m = /^ {4}(\w+): (.+?)(?: = (.+?))?(?:\s+#\s*(.*))?$/.exec(line);
    assert.ok(m?.[1] && m[2], `seed: field line ${line}`);
    const [, name, typeSrc, rhs, comment] = m;
    const field: SeedField = { model: current.name, name, line: line.trim(), type: parseType(typeSrc), default: { kind: 'required' } };
    if (comment !== undefined) field.comment = comment;
    if (rhs !== undefined) {
      const call = /^Field\((.*)\)$/.exec(rhs);
      if (!call) field.default = { kind: 'value', value: literal(rhs) };
      else {
        for (const [i, arg] of splitTop(call[1] ?? '').entries()) {
          const kw = /^(\w+)=(.*)$/.exec(arg);
          if (!kw?.[1] || kw[2] === undefined) {
            assert.equal(i, 0, `seed: positional argument in ${line}`);
            if (arg !== '...') field.default = { kind: 'value', value: literal(arg) };
            continue;
          }
          const [, key, value] = kw;
          if (key === 'default') field.default = { kind: 'value', value: literal(value) };
          else if (key === 'default_factory') field.default = factory(value);
          else if (key === 'ge') field.ge = Number(value);
          else if (key === 'le') field.le = Number(value);
          else if (key === 'description') field.description = String(literal(value));
          else throw new Error(`seed: unknown Field argument ${key}`);
        }
      }
    }
    current.fields.push(field);
  }
  return { enums, models };
}

const seed = parseSeed(SEED);

// ---------------------------------------------------------------- where agentmon departs from the seed

const DEPARTURES = {
  /** Fields the API adds to a seed model, and whether each is required. */
  extraFields: {
    MetricsQuery: { group_by: false, fill: false },
    RegisterResponse: { api_key: true },
    AgentMetrics: { model_usage: false },
    MonitoringConfig: { critical_thresholds: false, alert_pending_seconds: false, alert_keep_firing_seconds: false, alert_recovery_ratio: false },
  } as Record<string, Record<string, boolean>>,
  /** Defaults of the extra fields (the alert tuning agentmon adds to MonitoringConfig). */
  extraDefaults: {
    MonitoringConfig: { critical_thresholds: {}, alert_pending_seconds: 0, alert_keep_firing_seconds: 0, alert_recovery_ratio: 0.9 },
  } as Record<string, Record<string, unknown>>,
  /** Numeric bounds where the seed has none (the SQL schema's, or the value's meaning). */
  extraBounds: {
    'AgentInfo.port': { minimum: 0, maximum: 65535 },
    'HealthResponse.health_score': { minimum: 0, maximum: 1 },
    'MetricsResponse.total_points': { minimum: 0 },
  } as Record<string, { minimum?: number; maximum?: number }>,
  /**
   * Seed `str` fields whose allowed values the seed lists in prose (description or comment); the
   * schema makes them an enum: exactly the listed values, or (superset) the listed ones and more.
   */
  proseEnums: {
    'Alert.severity': 'exact',
    'SystemEvent.severity': 'exact',
    'MetricsQuery.aggregation': 'superset',
  } as Record<string, 'exact' | 'superset'>,
  /** Seed `str` fields the schema gives a pattern, with values it must accept and refuse. */
  patterns: {
    'MetricsQuery.interval': { ok: ['10s', '1m', '5m', '1h', '1d', '1w', '500ms'], bad: ['5 minutes', '0m', 'm', '1y', '-1m'] },
  } as Record<string, { ok: string[]; bad: string[] }>,
};

/** A valid value for each seed `str` field the schema restricts. */
const STRING_SAMPLES: Record<string, string> = {
  'Alert.severity': 'warning',
  'SystemEvent.severity': 'error',
  'MetricsQuery.aggregation': 'avg',
  'MetricsQuery.interval': '5m',
};

// ---------------------------------------------------------------- the schemas

interface Json {
  type?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  anyOf?: Json[];
  items?: Json;
  properties?: Record<string, Json>;
  patternProperties?: Record<string, Json>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
  description?: string;
}
const json = (schema: unknown): Json => schema as Json;

const exported = api as unknown as Record<string, unknown>;

function schemaOf(name: string): TSchema {
  const s = exported[name];
  assert.ok(s !== null && typeof s === 'object', `${name} is exported`);
  return s as TSchema;
}

function propertyOf(model: string, field: string): Json {
  const p = json(schemaOf(model)).properties?.[field];
  assert.ok(p, `${model}.${field} exists`);
  return p;
}

/** The non-null branch of a Nullable, else the schema itself. */
function nonNull(s: Json): Json {
  if (!s.anyOf) return s;
  const branches = s.anyOf.filter((b) => b.type !== 'null');
  assert.equal(branches.length, 1);
  assert.ok(branches[0]);
  return branches[0];
}

/** The seed's enum members' values, by enum name. */
const enumValues = (name: string): string[] => {
  const e = seed.enums.get(name);
  assert.ok(e, `seed enum ${name}`);
  return e.members.map(([, v]) => v);
};

const fieldsOf = (model: string): SeedField[] => {
  const fields = seed.models.get(model);
  assert.ok(fields, `seed model ${model}`);
  return fields;
};

const TS = '2026-11-26T16:44:16.123456';

/** The smallest valid payload of each model: its required fields (the seed's, plus required extras). */
const MINIMAL: Record<string, Record<string, unknown>> = {
  AgentInfo: { name: 'agent-1', type: 'llm_agent', version: '1.0.0', deployment_type: 'docker', host: 'host-1', environment: 'prod' },
  AgentSummary: { id: 'a1', name: 'agent-1', type: 'chatbot', status: 'online', last_seen: TS, environment: 'prod', health_score: 0.5 },
  ResourceMetrics: { cpu_usage_percent: 12.5, memory_usage_bytes: 1024, memory_usage_percent: 40, disk_usage_bytes: 4096 },
  PerformanceMetrics: {},
  AIMetrics: {},
  AgentMetrics: {
    agent_id: 'a1',
    resource_metrics: { cpu_usage_percent: 12.5, memory_usage_bytes: 1024, memory_usage_percent: 40, disk_usage_bytes: 4096 },
    performance_metrics: {},
  },
  MetricsQuery: { start_time: '2026-11-26T00:00:00Z', end_time: '2026-11-27T00:00:00Z' },
  HealthCheck: { name: 'database', status: true, execution_time_ms: 1.5 },
  HealthStatus: { agent_id: 'a1', overall_status: 'online', health_score: 0.9, is_responsive: true, last_heartbeat: TS, uptime_seconds: 60 },
  Alert: { agent_id: 'a1', severity: 'warning', title: 'CPU high', message: 'cpu_usage_percent 91 > 80' },
  MonitoringConfig: { agent_id: 'a1' },
  DashboardConfig: {},
  RegisterResponse: {
    agent_id: 'a1',
    status: 'registered',
    message: 'Agent registered',
    monitoring_endpoints: { metrics: '/api/v1/agents/a1/metrics' },
    config: {
      agent_id: 'a1',
      metrics_interval_seconds: 60,
      health_check_interval_seconds: 30,
      enable_resource_monitoring: true,
      enable_performance_monitoring: true,
      enable_ai_monitoring: false,
      cpu_threshold: 80,
      memory_threshold: 85,
      error_rate_threshold: 0.05,
      response_time_threshold_ms: 5000,
      custom_thresholds: {},
      metrics_retention_days: 30,
      logs_retention_days: 7,
    },
    api_key: 'amk_secret',
  },
  MetricsResponse: {
    query: { start_time: '2026-11-26T00:00:00Z', end_time: '2026-11-27T00:00:00Z' },
    total_points: 0,
    agents: [],
    time_range: { start: '2026-11-26T00:00:00Z', end: '2026-11-27T00:00:00Z' },
    data: [],
  },
  HealthResponse: { agent_id: 'a1', status: 'online', health_score: 1, last_updated: TS, checks: [], recent_alerts: [] },
  DashboardData: { summary: {}, agents: [], system_metrics: {}, active_alerts: [], performance_trends: {} },
  SystemEvent: { type: 'agent_registered', message: 'Agent a1 registered' },
};

const clone = <T>(value: T): T => structuredClone(value);

/** A valid value of a seed type (non-null for Optional; non-integer for float, to tell it from int). */
function validValue(type: SeedType, field?: SeedField): unknown {
  switch (type.kind) {
    case 'optional':
      return validValue(type.inner, field);
    case 'int':
      return field?.ge ?? 1;
    case 'float':
      return (field?.ge ?? 0) + 0.5;
    case 'str':
      return (field && STRING_SAMPLES[`${field.model}.${field.name}`]) ?? 'text';
    case 'bool':
      return true;
    case 'datetime':
      return TS;
    case 'any':
      return { nested: [1, 'two', null] };
    case 'enum':
      return enumValues(type.name).at(-1);
    case 'model':
      return fullSample(type.name);
    case 'list':
      return [validValue(type.item)];
    case 'dict':
      return { key: validValue(type.value) };
  }
}

/** Invalid values of a seed type, labelled (null excluded: Optional decides that). */
function invalidValues(type: SeedType, field?: SeedField): Array<readonly [string, unknown]> {
  switch (type.kind) {
    case 'optional':
      return invalidValues(type.inner, field);
    case 'int':
      return [['a non-integer', (field?.ge ?? 1) + 0.5], ['a numeric string', '1'], ['a boolean', true]];
    case 'float':
      return [['a numeric string', '0.5'], ['a boolean', false], ['an array', [1]]];
    case 'str':
      return [['a number', 1], ['a boolean', true], ['an object', {}]];
    case 'bool':
      return [['the string "true"', 'true'], ['the number 1', 1]];
    case 'datetime':
      return [['garbage', 'not a date'], ['30 February', '2026-02-30T00:00:00Z'], ['month 13', '2026-13-01T00:00:00Z'], ['epoch seconds', 1764175456]];
    case 'any':
      return [];
    case 'enum': {
      const e = seed.enums.get(type.name);
      assert.ok(e);
      const [member, value] = e.members[0] ?? ['', ''];
      return [['an unknown value', 'not_a_value'], ['the member name', member], ['upper case', value.toUpperCase()], ['a number', 0]];
    }
    case 'model': {
      const out: Array<readonly [string, unknown]> = [['a string', 'text'], ['an array', []]];
      if ((json(schemaOf(type.name)).required ?? []).length > 0) out.push(['an empty object', {}]);
      return out;
    }
    case 'list': {
      const out: Array<readonly [string, unknown]> = [['a string', 'text'], ['an object', {}]];
      const inner = invalidValues(type.item)[0];
      if (inner) out.push([`an item that is ${inner[0]}`, [inner[1]]]);
      return out;
    }
    case 'dict': {
      const out: Array<readonly [string, unknown]> = [['a string', 'text'], ['an array', []], ['null', null]];
      const inner = invalidValues(type.value)[0];
      if (inner) out.push([`a value that is ${inner[0]}`, { key: inner[1] }]);
      return out;
    }
  }
}

/** MINIMAL[model], which must exist. */
function minimal(model: string): Record<string, unknown> {
  const m = MINIMAL[model];
  assert.ok(m, `MINIMAL.${model}`);
  return clone(m);
}

/** What pydantic would hold after parsing `value`: the seed's constant defaults filled in, nested models too. */
function seedDefaults(model: string, value: Record<string, unknown>): Record<string, unknown> {
  const out = clone(value);
  const nested = (t: SeedType, v: unknown): unknown => {
    if (t.kind === 'optional') return v === null ? v : nested(t.inner, v);
    if (t.kind === 'model') return seedDefaults(t.name, v as Record<string, unknown>);
    if (t.kind === 'list') return (v as unknown[]).map((item) => nested(t.item, item));
    if (t.kind === 'dict') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, nested(t.value, x)]));
    return v;
  };
  for (const f of fieldsOf(model)) {
    if (f.name in out) out[f.name] = nested(f.type, out[f.name]);
    else if (f.default.kind === 'value' && f.default.value !== null) out[f.name] = clone(f.default.value);
  }
  for (const [name, value] of Object.entries(DEPARTURES.extraDefaults[model] ?? {})) if (!(name in out)) out[name] = clone(value);
  return out;
}

/** Every seed field present, required extras too. */
function fullSample(model: string): Record<string, unknown> {
  const out = minimal(model);
  for (const f of fieldsOf(model)) if (!(f.name in out)) out[f.name] = validValue(f.type, f);
  return out;
}

const check = (model: string, value: unknown): boolean => Value.Check(schemaOf(model), value);

/** Why a value failed, for assertion messages. */
const why = (model: string, value: unknown): string =>
  Value.Errors(schemaOf(model), value)
    .map((e) => `${e.instancePath} ${e.message}`)
    .join('; ');

const withField = (model: string, field: string, value: unknown): Record<string, unknown> => ({ ...fullSample(model), [field]: value });

const without = (value: Record<string, unknown>, field: string): Record<string, unknown> => {
  const out = { ...value };
  delete out[field];
  return out;
};

/** The next double after x, towards +Infinity (dir 1) or -Infinity (dir -1). */
function nextDouble(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + (x > 0 === dir > 0 ? 1n : -1n));
  return view.getFloat64(0);
}

const isOptional = (t: SeedType): boolean => t.kind === 'optional';
const base = (t: SeedType): SeedType => (t.kind === 'optional' ? t.inner : t);
const isNumeric = (t: SeedType): boolean => base(t).kind === 'int' || base(t).kind === 'float';

/** Asserts a property schema has the JSON Schema shape of a seed type. */
function assertShape(s: Json, t: SeedType, at: string): void {
  if (t.kind === 'optional') {
    assert.ok(s.anyOf, `${at}: Optional is anyOf [T, null]`);
    assert.equal(s.anyOf.length, 2, at);
    assert.ok(
      s.anyOf.some((b) => b.type === 'null' && Object.keys(b).length === 1),
      `${at}: one branch is null`,
    );
    assertShape(nonNull(s), t.inner, at);
    return;
  }
  assert.equal(s.anyOf, undefined, `${at}: not nullable`);
  switch (t.kind) {
    case 'int':
      assert.equal(s.type, 'integer', at);
      return;
    case 'float':
      assert.equal(s.type, 'number', at);
      return;
    case 'bool':
      assert.equal(s.type, 'boolean', at);
      return;
    case 'str':
      assert.equal(s.type, 'string', at);
      assert.equal(s.format, undefined, at);
      return;
    case 'datetime':
      assert.equal(s.type, 'string', at);
      assert.equal(s.format, 'date-time', at);
      return;
    case 'any':
      assert.equal(s.type, undefined, `${at}: Any is unconstrained`);
      return;
    case 'enum':
      assert.equal(s.type, 'string', at);
      assert.deepEqual(s.enum, enumValues(t.name), `${at}: ${t.name}'s values`);
      return;
    case 'model': {
      assert.equal(s.type, 'object', at);
      assert.deepEqual(Object.keys(s.properties ?? {}), Object.keys(json(schemaOf(t.name)).properties ?? {}), `${at}: ${t.name}`);
      return;
    }
    case 'list':
      assert.equal(s.type, 'array', at);
      assert.ok(s.items, at);
      assertShape(s.items, t.item, `${at}[]`);
      return;
    case 'dict': {
      assert.equal(s.type, 'object', at);
      const values = Object.values(s.patternProperties ?? {});
      assert.equal(values.length, 1, `${at}: a record`);
      assert.ok(values[0]);
      assertShape(values[0], t.value, `${at}{}`);
      return;
    }
  }
}

// ---------------------------------------------------------------- tests

describe('the seed transcription', () => {
  it('parses into the seed’s 5 enums and 17 models', () => {
    assert.deepEqual([...seed.enums.keys()], ['AgentType', 'AgentStatus', 'DeploymentType', 'MetricType', 'EventType']);
    assert.deepEqual(
      [...seed.models.keys()],
      [
        'AgentInfo', 'AgentSummary', 'ResourceMetrics', 'PerformanceMetrics', 'AIMetrics', 'AgentMetrics', 'MetricsQuery',
        'HealthCheck', 'HealthStatus', 'Alert', 'MonitoringConfig', 'DashboardConfig', 'RegisterResponse',
        'MetricsResponse', 'HealthResponse', 'DashboardData', 'SystemEvent',
      ],
    );
    const fieldCount = [...seed.models.values()].reduce((n, f) => n + f.length, 0);
    assert.equal(fieldCount, 134);
    assert.equal([...seed.enums.values()].reduce((n, e) => n + e.members.length, 0), 27);
  });

  it('reads bounds, defaults and factories', () => {
    const f = (model: string, name: string) => fieldsOf(model).find((x) => x.name === name);
    assert.deepEqual(f('MonitoringConfig', 'metrics_interval_seconds'), {
      model: 'MonitoringConfig',
      name: 'metrics_interval_seconds',
      line: 'metrics_interval_seconds: int = Field(default=60, ge=1, le=3600)',
      type: { kind: 'int' },
      default: { kind: 'value', value: 60 },
      ge: 1,
      le: 3600,
    });
    assert.deepEqual(f('AgentInfo', 'status')?.default, { kind: 'value', value: 'unknown' });
    assert.deepEqual(f('AgentInfo', 'id')?.default, { kind: 'dynamic', factory: 'lambda: str(uuid4())' });
    assert.deepEqual(f('DashboardConfig', 'chart_types')?.default, { kind: 'value', value: ['line', 'bar', 'gauge'] });
    assert.deepEqual(f('AgentMetrics', 'ai_metrics')?.type, { kind: 'optional', inner: { kind: 'model', name: 'AIMetrics' } });
    assert.deepEqual(f('AgentMetrics', 'ai_metrics')?.default, { kind: 'value', value: null });
    assert.deepEqual(f('DashboardData', 'performance_trends')?.type, {
      kind: 'dict',
      value: { kind: 'list', item: { kind: 'dict', value: { kind: 'any' } } },
    });
    assert.equal(f('SystemEvent', 'severity')?.comment, 'info, warning, error, critical');
    assert.deepEqual(f('AgentSummary', 'health_score')?.default, { kind: 'required' });
  });
});

describe('enums', () => {
  const lists: Record<string, readonly string[]> = {
    AgentType: api.AGENT_TYPES,
    AgentStatus: api.AGENT_STATUSES,
    DeploymentType: api.DEPLOYMENT_TYPES,
    MetricType: api.METRIC_TYPES,
    EventType: api.EVENT_TYPES,
  };
  for (const e of seed.enums.values()) {
    describe(e.name, () => {
      const values = e.members.map(([, v]) => v);
      it(`exports its value list: ${values.join(', ')}`, () => {
        assert.deepEqual(lists[e.name], values);
      });
      it('is a string enum schema of exactly those values', () => {
        const s = json(schemaOf(e.name));
        assert.equal(s.type, 'string');
        assert.deepEqual(s.enum, values);
      });
      it('accepts every value', () => {
        for (const v of values) assert.equal(Value.Check(schemaOf(e.name), v), true, v);
      });
      it('rejects member names, other cases, padding, empty, null and numbers', () => {
        const bad: unknown[] = ['', 'none', null, undefined, 0, true, {}, []];
        for (const [member, v] of e.members) bad.push(member, v.toUpperCase(), `${v} `, ` ${v}`, `${v[0]?.toUpperCase()}${v.slice(1)}`);
        for (const v of bad) assert.equal(Value.Check(schemaOf(e.name), v), false, JSON.stringify(v));
      });
    });
  }
});

describe('models', () => {
  it('every seed model is an exported object schema', () => {
    for (const model of seed.models.keys()) assert.equal(json(schemaOf(model)).type, 'object', model);
  });

  it('every departure names a real seed model and field', () => {
    for (const [model, extras] of Object.entries(DEPARTURES.extraFields)) {
      assert.ok(seed.models.has(model), model);
      for (const field of Object.keys(extras)) assert.ok(!fieldsOf(model).some((f) => f.name === field), `${model}.${field} is not a seed field`);
    }
    const keys = [...Object.keys(DEPARTURES.extraBounds), ...Object.keys(DEPARTURES.proseEnums), ...Object.keys(DEPARTURES.patterns)];
    for (const key of keys) {
      const [model = '', field] = key.split('.');
      assert.ok(fieldsOf(model).some((f) => f.name === field), key);
    }
  });

  for (const [model, fields] of seed.models) {
    describe(model, () => {
      const schema = () => json(schemaOf(model));
      const extras = DEPARTURES.extraFields[model] ?? {};

      it(`has the seed's fields, in order${Object.keys(extras).length ? `, plus ${Object.keys(extras).join(', ')}` : ''}`, () => {
        assert.deepEqual(Object.keys(schema().properties ?? {}), [...fields.map((f) => f.name), ...Object.keys(extras)]);
      });

      it('requires exactly the fields the seed gives no default', () => {
        const expected = [
          ...fields.filter((f) => f.default.kind === 'required').map((f) => f.name),
          ...Object.entries(extras).filter(([, required]) => required).map(([name]) => name),
        ];
        assert.deepEqual([...(schema().required ?? [])].sort(), expected.sort());
        assert.deepEqual(Object.keys(MINIMAL[model] ?? {}).sort(), expected.sort(), 'MINIMAL holds the required fields');
      });

      it('accepts its minimal and its full sample', () => {
        const minimal = MINIMAL[model];
        assert.equal(check(model, minimal), true, why(model, minimal));
        const full = fullSample(model);
        assert.equal(check(model, full), true, why(model, full));
      });

      it('rejects non-objects', () => {
        for (const v of [null, undefined, 'text', 1, [], true]) assert.equal(check(model, v), false, String(v));
      });

      it('applies the seed’s constant defaults, and only those, to its minimal and full samples', () => {
        for (const sample of [minimal(model), fullSample(model)]) {
          const defaulted = Value.Default(schemaOf(model), clone(sample));
          assert.deepEqual(defaulted, seedDefaults(model, sample));
          assert.equal(check(model, defaulted), true, why(model, defaulted));
        }
      });

      for (const f of fields) {
        describe(`${f.name}  ⟵  ${f.line}`, () => {
          const key = `${model}.${f.name}`;
          const prop = () => propertyOf(model, f.name);

          it('has the seed’s type', () => {
            const proseEnum = DEPARTURES.proseEnums[key];
            if (proseEnum) {
              const s = nonNull(prop());
              assert.equal(s.type, 'string');
              assert.ok(Array.isArray(s.enum), `${key} is an enum`);
              assert.equal(isOptional(f.type), prop().anyOf !== undefined, `${key}: nullable iff Optional`);
              return;
            }
            assertShape(prop(), f.type, key);
          });

          it(`accepts ${JSON.stringify(validValue(f.type, f))}`, () => {
            const sample = withField(model, f.name, validValue(f.type, f));
            assert.equal(check(model, sample), true, why(model, sample));
          });

          for (const [label, value] of invalidValues(f.type, f)) {
            it(`rejects ${label}`, () => {
              assert.equal(check(model, withField(model, f.name, value)), false);
            });
          }

          if (isOptional(f.type)) {
            it('is Optional: accepts null and absence', () => {
              assert.equal(check(model, withField(model, f.name, null)), true, why(model, withField(model, f.name, null)));
              assert.equal(check(model, without(fullSample(model), f.name)), true);
              assert.equal(check(model, without(MINIMAL[model] ?? {}, f.name)), true);
            });
          } else {
            it('rejects null', () => {
              assert.equal(check(model, withField(model, f.name, null)), false);
            });
          }

          if (f.default.kind === 'required') {
            it('is required: absence is rejected, and it has no default', () => {
              assert.equal(check(model, without(fullSample(model), f.name)), false);
              assert.ok(schemaOf(model) && (json(schemaOf(model)).required ?? []).includes(f.name));
              assert.equal(prop().default, undefined);
            });
          } else {
            it('may be absent', () => {
              assert.equal(check(model, without(fullSample(model), f.name)), true);
              assert.ok(!(json(schemaOf(model)).required ?? []).includes(f.name));
            });
          }

          const d = f.default;
          if (d.kind === 'value' && d.value !== null) {
            it(`defaults to ${JSON.stringify(d.value)}, applied when absent and not over a given value`, () => {
              assert.deepEqual(prop().default, d.value);
              const filled = Value.Default(schemaOf(model), without(fullSample(model), f.name)) as Record<string, unknown>;
              assert.deepEqual(filled[f.name], d.value);
              assert.equal(check(model, filled), true, why(model, filled));
              const given = validValue(f.type, f);
              const kept = Value.Default(schemaOf(model), withField(model, f.name, given)) as Record<string, unknown>;
              assert.deepEqual(kept[f.name], given);
            });
          } else if (d.kind === 'value') {
            it('defaults to None: no default is written, absence stands for null', () => {
              assert.equal(prop().default, undefined);
              const filled = Value.Default(schemaOf(model), without(fullSample(model), f.name)) as Record<string, unknown>;
              assert.ok(!(f.name in filled));
            });
          } else if (d.kind === 'dynamic') {
            it(`has no constant default (${d.factory} is filled by the server)`, () => {
              assert.equal(prop().default, undefined);
              assert.equal(nonNull(prop()).default, undefined);
              const filled = Value.Default(schemaOf(model), without(fullSample(model), f.name)) as Record<string, unknown>;
              assert.ok(!(f.name in filled));
            });
          }

          if (f.ge !== undefined || f.le !== undefined) {
            const integer = base(f.type).kind === 'int';
            const below = (x: number) => (integer ? x - 1 : nextDouble(x, -1));
            const above = (x: number) => (integer ? x + 1 : nextDouble(x, 1));
            it(`is bounded as the seed says: minimum ${f.ge}, maximum ${f.le}, both inclusive`, () => {
              const s = nonNull(prop());
              assert.equal(s.minimum, f.ge);
              assert.equal(s.maximum, f.le);
              assert.equal(s.exclusiveMinimum, undefined);
              assert.equal(s.exclusiveMaximum, undefined);
            });
            if (f.ge !== undefined) {
              const ge = f.ge;
              it(`accepts ge=${ge} and rejects ${below(ge)} just below`, () => {
                assert.equal(check(model, withField(model, f.name, ge)), true, why(model, withField(model, f.name, ge)));
                assert.equal(check(model, withField(model, f.name, below(ge))), false);
                assert.equal(check(model, withField(model, f.name, nextDouble(ge, -1))), false);
              });
            }
            if (f.le !== undefined) {
              const le = f.le;
              it(`accepts le=${le} and rejects ${above(le)} just above`, () => {
                assert.equal(check(model, withField(model, f.name, le)), true, why(model, withField(model, f.name, le)));
                assert.equal(check(model, withField(model, f.name, above(le))), false);
                assert.equal(check(model, withField(model, f.name, nextDouble(le, 1))), false);
              });
            } else {
              it('has no upper bound', () => {
                assert.equal(check(model, withField(model, f.name, integer ? Number.MAX_SAFE_INTEGER : 1e300)), true);
              });
            }
          } else if (isNumeric(f.type)) {
            const extra = DEPARTURES.extraBounds[key];
            it(extra ? `is unbounded in the seed; bounded ${JSON.stringify(extra)} by agentmon` : 'is unbounded, as in the seed', () => {
              const s = nonNull(prop());
              assert.equal(s.minimum, extra?.minimum);
              assert.equal(s.maximum, extra?.maximum);
            });
          }

          if (base(f.type).kind === 'int') {
            it('is an integer: rejects 1.5 and accepts 1.0', () => {
              assert.equal(check(model, withField(model, f.name, 1.5)), false);
              const one = Math.min(Math.max(1.0, f.ge ?? 1), f.le ?? Infinity);
              assert.equal(check(model, withField(model, f.name, one)), true);
            });
          }

          if (base(f.type).kind === 'float') {
            it('is a float: accepts integers too', () => {
              const whole = Math.ceil(f.ge ?? 0) + 1;
              assert.equal(check(model, withField(model, f.name, f.le !== undefined ? Math.min(whole, f.le) : whole)), true);
            });
          }

          if (f.description !== undefined) {
            it('carries the seed’s description', () => {
              const seedText = f.description?.split(' (')[0] ?? '';
              const description = prop().description ?? nonNull(prop()).description ?? '';
              assert.ok(description.startsWith(seedText), `${JSON.stringify(description)} starts with ${JSON.stringify(seedText)}`);
            });
          }
        });
      }
    });
  }
});

describe('departures from the seed, pinned', () => {
  for (const [key, mode] of Object.entries(DEPARTURES.proseEnums)) {
    it(`${key}: seed str listing its values in prose is an enum (${mode})`, () => {
      const [model = '', name = ''] = key.split('.');
      const f = fieldsOf(model).find((x) => x.name === name);
      assert.ok(f);
      const prose = f.description ?? f.comment ?? '';
      const listed = (/\(([^)]*)\)/.exec(prose)?.[1] ?? prose).split(',').map((w) => w.trim());
      assert.ok(listed.length >= 3, `${key}: ${prose}`);
      const values = nonNull(propertyOf(model, name)).enum as string[];
      if (mode === 'exact') assert.deepEqual([...values].sort(), [...listed].sort());
      else for (const v of listed) assert.ok(values.includes(v), `${key} accepts ${v}`);
      for (const v of values) assert.equal(check(model, withField(model, name, v)), true, v);
      assert.equal(check(model, withField(model, name, 'fatal')), false);
      assert.equal(check(model, withField(model, name, 'WARNING')), false);
    });
  }

  for (const [key, { ok, bad }] of Object.entries(DEPARTURES.patterns)) {
    it(`${key}: accepts ${ok.join(' ')} and refuses ${bad.join(', ')}`, () => {
      const [model = '', name = ''] = key.split('.');
      assert.equal(typeof nonNull(propertyOf(model, name)).pattern, 'string');
      for (const v of ok) assert.equal(check(model, withField(model, name, v)), true, v);
      for (const v of bad) assert.equal(check(model, withField(model, name, v)), false, v);
    });
  }

  it('MetricsQuery.group_by and fill: optional enums without a default', () => {
    for (const [name, values] of [['group_by', api.GROUP_BY_MODES], ['fill', api.FILL_MODES]] as const) {
      const s = propertyOf('MetricsQuery', name);
      assert.deepEqual(s.enum, [...values]);
      assert.equal(s.default, undefined);
      for (const v of values) assert.equal(check('MetricsQuery', withField('MetricsQuery', name, v)), true);
      assert.equal(check('MetricsQuery', withField('MetricsQuery', name, 'other')), false);
      assert.equal(check('MetricsQuery', withField('MetricsQuery', name, null)), false);
    }
  });

  it('MonitoringConfig alert tuning: bounded, with defaults', () => {
    assert.equal(check('MonitoringConfig', withField('MonitoringConfig', 'alert_recovery_ratio', 0.49)), false);
    assert.equal(check('MonitoringConfig', withField('MonitoringConfig', 'alert_recovery_ratio', 1.01)), false);
    assert.equal(check('MonitoringConfig', withField('MonitoringConfig', 'alert_pending_seconds', -1)), false);
    assert.equal(check('MonitoringConfig', withField('MonitoringConfig', 'alert_keep_firing_seconds', 86_401)), false);
    assert.equal(check('MonitoringConfig', withField('MonitoringConfig', 'critical_thresholds', { cpu_usage_percent: 'high' })), false);
    assert.equal(check('MonitoringConfig', withField('MonitoringConfig', 'critical_thresholds', { cpu_usage_percent: 95 })), true);
  });

  it('RegisterResponse.api_key: a required string', () => {
    assert.equal(propertyOf('RegisterResponse', 'api_key').type, 'string');
    assert.equal(check('RegisterResponse', without(fullSample('RegisterResponse'), 'api_key')), false);
  });
});

describe('nested models', () => {
  it('AgentMetrics: Value.Default fills resource and performance defaults inside the payload', () => {
    const filled = Value.Default(api.AgentMetrics, clone(MINIMAL.AgentMetrics)) as Record<string, unknown>;
    assert.deepEqual(filled.performance_metrics, {
      tasks_completed: 0,
      tasks_failed: 0,
      tasks_pending: 0,
      average_response_time_ms: 0,
      throughput_per_second: 0,
      error_rate: 0,
      success_rate: 1,
      uptime_seconds: 0,
    });
    assert.deepEqual(filled.resource_metrics, {
      cpu_usage_percent: 12.5,
      memory_usage_bytes: 1024,
      memory_usage_percent: 40,
      disk_usage_bytes: 4096,
      disk_io_read_bytes: 0,
      disk_io_write_bytes: 0,
      network_io_rx_bytes: 0,
      network_io_tx_bytes: 0,
    });
    assert.deepEqual(filled.custom_metrics, {});
    assert.deepEqual(filled.health_checks, {});
    assert.deepEqual(filled.alerts, []);
    assert.ok(!('ai_metrics' in filled) && !('timestamp' in filled));
  });

  it('AgentMetrics: a bad nested value is rejected at its path', () => {
    const bad = clone(MINIMAL.AgentMetrics) as { resource_metrics: Record<string, unknown> };
    bad.resource_metrics.cpu_usage_percent = 100.5;
    assert.equal(Value.Check(api.AgentMetrics, bad), false);
    assert.ok(Value.Errors(api.AgentMetrics, bad).some((e) => e.instancePath === '/resource_metrics/cpu_usage_percent'));
  });

  it('AgentMetrics: ai_metrics takes null, {} and a full AIMetrics, and checks its bounds', () => {
    for (const ai of [null, {}, fullSample('AIMetrics')]) assert.equal(check('AgentMetrics', withField('AgentMetrics', 'ai_metrics', ai)), true);
    assert.equal(check('AgentMetrics', withField('AgentMetrics', 'ai_metrics', { model_accuracy: 1.01 })), false);
  });

  it('HealthStatus: checks are HealthChecks', () => {
    assert.equal(check('HealthStatus', withField('HealthStatus', 'checks', [MINIMAL.HealthCheck])), true);
    assert.equal(check('HealthStatus', withField('HealthStatus', 'checks', [{ ...MINIMAL.HealthCheck, execution_time_ms: -1 }])), false);
  });

  it('served shapes (HealthResponse, DashboardData) hold complete nested models', () => {
    assert.equal(check('HealthResponse', withField('HealthResponse', 'checks', [MINIMAL.HealthCheck])), false);
    assert.equal(check('HealthResponse', withField('HealthResponse', 'recent_alerts', [MINIMAL.Alert])), false);
    assert.equal(check('DashboardData', withField('DashboardData', 'active_alerts', [MINIMAL.Alert])), false);
    // RegisterResponse.config is a MonitoringConfig as pydantic reads one: defaults may be left out.
    const filledConfig = Value.Default(api.MonitoringConfig, clone(MINIMAL.MonitoringConfig));
    assert.equal(check('RegisterResponse', withField('RegisterResponse', 'config', filledConfig)), true);
    assert.equal(check('RegisterResponse', withField('RegisterResponse', 'config', { cpu_threshold: 80 })), false, 'agent_id is required');
  });

  it('defaults are copied, never shared between values or with the schema', () => {
    const a = Value.Default(api.DashboardConfig, {}) as { chart_types: string[] };
    const b = Value.Default(api.DashboardConfig, {}) as { chart_types: string[] };
    a.chart_types.push('pie');
    assert.deepEqual(b.chart_types, ['line', 'bar', 'gauge']);
    assert.deepEqual(json(api.DashboardConfig).properties?.chart_types?.default, ['line', 'bar', 'gauge']);
    const x = Value.Default(api.AgentInfo, clone(MINIMAL.AgentInfo)) as { tags: string[]; config: Record<string, unknown> };
    const y = Value.Default(api.AgentInfo, clone(MINIMAL.AgentInfo)) as { tags: string[]; config: Record<string, unknown> };
    x.tags.push('t');
    x.config.k = 1;
    assert.deepEqual(y.tags, []);
    assert.deepEqual(y.config, {});
  });
});

describe('MonitoringConfigUpdate', () => {
  it('has MonitoringConfig’s fields, none required', () => {
    const s = json(api.MonitoringConfigUpdate);
    assert.deepEqual(Object.keys(s.properties ?? {}), Object.keys(json(api.MonitoringConfig).properties ?? {}));
    assert.deepEqual(s.required ?? [], []);
    assert.equal(Value.Check(api.MonitoringConfigUpdate, {}), true);
  });

  it('keeps the seed’s bounds', () => {
    for (const f of fieldsOf('MonitoringConfig')) {
      if (f.ge !== undefined) {
        assert.equal(Value.Check(api.MonitoringConfigUpdate, { [f.name]: f.ge }), true, f.name);
        assert.equal(Value.Check(api.MonitoringConfigUpdate, { [f.name]: base(f.type).kind === 'int' ? f.ge - 1 : nextDouble(f.ge, -1) }), false, f.name);
      }
      if (f.le !== undefined) {
        assert.equal(Value.Check(api.MonitoringConfigUpdate, { [f.name]: f.le }), true, f.name);
        assert.equal(Value.Check(api.MonitoringConfigUpdate, { [f.name]: base(f.type).kind === 'int' ? f.le + 1 : nextDouble(f.le, 1) }), false, f.name);
      }
    }
  });
});
