/**
 * The columns of `agents` that hold an AgentInfo, listed once (AGENT_COLUMNS): the SELECT, the
 * registration's INSERT and UPDATE, the PATCH and the row reading of both SQL dialects are built
 * from that list, so a new agent field is the schema, one entry here and a migration per dialect.
 * What differs per dialect comes in as arguments: its driver's values (RowDecoder), how it takes
 * tags (TagsEncoding: JSON text or text[]), its placeholders (with PostgreSQL's casts).
 */
import { toUtcIso } from '@agentmon/schema';
import type { AgentInfo } from '@agentmon/schema';
import type { AgentPatch } from '../ports.js';
import { asRecord, EPOCH, type ColumnTypes, type RowDecoder } from './column-types.js';

/**
 * How a column is stored. Each kind is written and read one way per dialect: text and integer as
 * they are; json as JSON text (SQLite TEXT, PostgreSQL jsonb); tags as JSON text (SQLite) or text[]
 * (PostgreSQL); time as ISO 8601 UTC (SQLite TEXT, PostgreSQL timestamptz).
 */
export type AgentColumnKind = 'text' | 'integer' | 'json' | 'tags' | 'time';

/** One column of `agents`: its kind and who writes it. */
interface AgentColumn {
  kind: AgentColumnKind;
  /**
   * What registration does with it: `key` is the row's id; `every` registration writes the value
   * the client sent; only the `first` one does (afterwards the store keeps it: times, status).
   */
  registration: 'key' | 'every' | 'first';
  /** People may change it by PATCH (then it is a field of AgentPatch too). */
  patch?: true;
  /** What SQL NULL reads as where not null (rows other tools wrote). json, tags and time have their own. */
  ifNull?: string;
}

/** Every AgentInfo field as its column of `agents`, in table order. */
export const AGENT_COLUMNS = {
  id: { kind: 'text', registration: 'key' },
  name: { kind: 'text', registration: 'every', patch: true },
  type: { kind: 'text', registration: 'every' },
  version: { kind: 'text', registration: 'every', patch: true },
  description: { kind: 'text', registration: 'every', patch: true },
  deployment_type: { kind: 'text', registration: 'every' },
  host: { kind: 'text', registration: 'every' },
  port: { kind: 'integer', registration: 'every', patch: true },
  environment: { kind: 'text', registration: 'every' },
  config: { kind: 'json', registration: 'every', patch: true },
  tags: { kind: 'tags', registration: 'every', patch: true },
  registered_at: { kind: 'time', registration: 'first' },
  last_seen: { kind: 'time', registration: 'first' },
  status: { kind: 'text', registration: 'first', patch: true, ifNull: 'unknown' },
  metadata: { kind: 'json', registration: 'every', patch: true },
} as const satisfies { [F in keyof AgentInfo]: AgentColumn };

export type AgentColumnName = keyof typeof AGENT_COLUMNS;

/** The columns a PATCH may set: those marked `patch` (each a field of AgentPatch, or this does not compile). */
type PatchColumn = { [N in AgentColumnName]: (typeof AGENT_COLUMNS)[N] extends { patch: true } ? N : never }[AgentColumnName];

/** The column names in table order (an object literal's keys keep the order they are written in). */
export const AGENT_COLUMN_NAMES = Object.keys(AGENT_COLUMNS) as AgentColumnName[];

const PATCH_COLUMN_NAMES = AGENT_COLUMN_NAMES.filter((n): n is PatchColumn => 'patch' in AGENT_COLUMNS[n]);

/** The UPDATE of a known agent at registration: its id first (the key), then what every registration writes. */
export const REREGISTERED_COLUMN_NAMES: readonly AgentColumnName[] = ['id', ...AGENT_COLUMN_NAMES.filter((n) => AGENT_COLUMNS[n].registration === 'every')];

/** The agent columns qualified by `a.`, for SELECT_AGENT (rows.ts). */
export const AGENT_SELECT_LIST = AGENT_COLUMN_NAMES.map((n) => `a.${n}`).join(', ');

// ------------------------------------------------------------------ reading

/** What a driver returns for a column of each kind (C: the dialect's types), SQL NULL included. */
interface RawValues<C extends ColumnTypes> {
  text: string | null;
  integer: number | null;
  json: C['json'];
  tags: C['tags'];
  time: C['time'] | null;
}

/** The agent columns of a row, as the dialect's driver returns them. */
export type AgentColumnValues<C extends ColumnTypes> = { [N in AgentColumnName]: RawValues<C>[(typeof AGENT_COLUMNS)[N]['kind']] };

/** Reads one agent column of a row as its AgentInfo field. */
export type AgentFieldReader<C extends ColumnTypes> = <N extends AgentColumnName>(row: AgentColumnValues<C>, name: N) => AgentInfo[N];

/** The AgentFieldReader of a dialect whose driver's values `d` decodes. */
export function agentFieldReader<C extends ColumnTypes>(d: RowDecoder<C>): AgentFieldReader<C> {
  // The row's value is typed per column, but the kind decides at run time; the casts say what the kind promises.
  const decode = (column: AgentColumn, value: unknown): unknown => {
    switch (column.kind) {
      case 'json':
        return asRecord(d.json(value as C['json']));
      case 'tags':
        return d.tags(value as C['tags']);
      case 'time':
        return value === null ? EPOCH : d.time(value as C['time']);
      default:
        return value ?? column.ifNull ?? null;
    }
  };
  return <N extends AgentColumnName>(row: AgentColumnValues<C>, name: N) => decode(AGENT_COLUMNS[name], row[name]) as AgentInfo[N];
}

/** The AgentInfo of a row, every column read as AGENT_COLUMNS says. */
export function agentInfoReader<C extends ColumnTypes>(field: AgentFieldReader<C>): (row: AgentColumnValues<C>) => AgentInfo {
  return (row) => {
    const info: Partial<Record<AgentColumnName, unknown>> = {};
    for (const name of AGENT_COLUMN_NAMES) info[name] = field(row, name);
    // Every field of AgentInfo is a key of AGENT_COLUMNS (its `satisfies` says so), each read as its type.
    return info as AgentInfo;
  };
}

// ------------------------------------------------------------------ writing

/** How a dialect's driver takes agents.tags, the one kind the dialects bind differently (JSON text, text[]). */
export type TagsEncoding = (tags: readonly string[]) => unknown;

/** A dialect's placeholder for the `position`-th (1-based) value of a statement, bound to `column` of `kind`. */
export type AgentPlaceholder = (column: AgentColumnName, position: number, kind: AgentColumnKind) => string;

function encode(kind: AgentColumnKind, value: unknown, tags: TagsEncoding): unknown {
  switch (kind) {
    case 'json':
      return JSON.stringify(value);
    case 'tags':
      return tags(value as readonly string[]);
    case 'time':
      return toUtcIso(value as string);
    default:
      return value;
  }
}

/** The value of each agent column as the dialect binds it. */
export function agentValues(agent: AgentInfo, tags: TagsEncoding): Record<AgentColumnName, unknown> {
  const values: Partial<Record<AgentColumnName, unknown>> = {};
  for (const name of AGENT_COLUMN_NAMES) values[name] = encode(AGENT_COLUMNS[name].kind, agent[name], tags);
  return values as Record<AgentColumnName, unknown>;
}

/**
 * The registration's two statements as a dialect writes them: the INSERT of a new agent (every
 * column, in AGENT_COLUMN_NAMES order) and the UPDATE of a known one (REREGISTERED_COLUMN_NAMES
 * order; the store's own columns kept). `now` is the dialect's expression of the time of writing.
 */
export function registrationSql(placeholder: AgentPlaceholder, now: string): { insert: string; update: string } {
  const bound = (names: readonly AgentColumnName[]): string[] => names.map((n, i) => placeholder(n, i + 1, AGENT_COLUMNS[n].kind));
  const updated = bound(REREGISTERED_COLUMN_NAMES);
  const sets = REREGISTERED_COLUMN_NAMES.slice(1).map((n, i) => `${n} = ${updated[i + 1]}`);
  return {
    insert: `INSERT INTO agents (${AGENT_COLUMN_NAMES.join(', ')}, created_at, updated_at)
             VALUES (${bound(AGENT_COLUMN_NAMES).join(', ')}, ${now}, ${now})`,
    update: `UPDATE agents SET ${sets.join(', ')}, updated_at = ${now} WHERE id = ${updated[0]}`,
  };
}

/**
 * `column = <value>` for each agents column the patch changes, binding the values in order through
 * the dialect's `bind` (status_reason lives in agent_state, not here).
 */
export function agentPatchAssignments(patch: AgentPatch, bind: (value: unknown, kind: AgentColumnKind) => string, tags: TagsEncoding): string[] {
  const sets: string[] = [];
  for (const name of PATCH_COLUMN_NAMES) {
    const value = patch[name];
    if (value === undefined) continue;
    const { kind } = AGENT_COLUMNS[name];
    sets.push(`${name} = ${bind(encode(kind, value, tags), kind)}`);
  }
  return sets;
}
