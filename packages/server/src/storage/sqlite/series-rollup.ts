/**
 * SQL of the SQLite rollup tiers (series-tiers.ts): their tables, and the upserts that fold raw
 * rows into them. The same upserts serve ingest (the rows a batch just added, by rowid range), the
 * backfill of migration 2 (every raw row) and the recomputation of a bucket a retention cut runs
 * through (its remaining raw rows), so a tier is always the rollup of the raw rows it covers.
 */
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import { customTable, partTable, TIER_PARTS, tierColumn, type RollupTier, type TierAggregate, type TierPart } from '../series-tiers.js';

/** Every aggregate of a custom tier, in column order. */
const ALL_AGGREGATES: readonly TierAggregate[] = ['n', 'sum', 'min', 'max', 'last', 'lastTs'];

/** Below every stored ts (ms within Date's range). */
const NO_TS = '-9000000000000000';

/** Floor of `ms` to a multiple of `width` (integer literal), exact for negative ms too. */
function bucketOf(ms: string, width: number): string {
  return `(${ms} - ((${ms} % ${width}) + ${width}) % ${width})`;
}

const SQL_TYPE: Record<TierAggregate, string> = { n: 'INTEGER NOT NULL', sum: 'REAL', min: 'REAL', max: 'REAL', last: 'REAL', lastTs: 'INTEGER' };

/**
 * CREATE TABLE and indexes of one tier: a table per part and one for custom points, STRICT as the
 * raw tables, one row per (agent, bucket). Rowid tables, not WITHOUT ROWID: a row of ~55 values
 * is too wide for an index b-tree leaf.
 */
export function sqliteTierDdl(tier: RollupTier): string {
  const parts = TIER_PARTS.map((part) => {
    const table = partTable(tier, part);
    const columns = SERIES_METRIC_NAMES.flatMap((name) => part.aggregates.map((a) => `${tierColumn(name, a)} ${SQL_TYPE[a]}`));
    return `
      CREATE TABLE ${table} (
        agent_id TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        ${part === TIER_PARTS[0] ? 'payloads INTEGER NOT NULL,' : ''}
        ${columns.join(',\n        ')},
        UNIQUE (agent_id, bucket)
      ) STRICT;
      CREATE INDEX ${table}_bucket_idx ON ${table} (bucket);`;
  });
  const custom = customTable(tier);
  // Every custom tier row has at least one value: no NULLs.
  const values = ALL_AGGREGATES.map((a) => `${tierColumn('value', a)} ${SQL_TYPE[a].replace(' NOT NULL', '')} NOT NULL`);
  return `${parts.join('\n')}
    CREATE TABLE ${custom} (
      agent_id TEXT NOT NULL,
      name TEXT NOT NULL,
      bucket INTEGER NOT NULL,
      ${values.join(', ')},
      UNIQUE (agent_id, name, bucket)
    ) STRICT;
    CREATE INDEX ${custom}_name_bucket_idx ON ${custom} (name, bucket);
  `;
}

/** SET items merging `excluded` (new partial aggregates) into the stored row of `table`. */
function mergeSet(table: string, names: readonly string[], aggregates: readonly TierAggregate[]): string[] {
  return names.flatMap((name) => {
    const col = (a: TierAggregate): string => tierColumn(name, a);
    const [old, neu] = [(a: TierAggregate) => `${table}.${col(a)}`, (a: TierAggregate) => `excluded.${col(a)}`];
    // The newer non-null last value wins; on equal ts the larger, as the raw path breaks ties.
    // (A NULL excluded ts makes the comparison NULL: the stored value stays.)
    const newer = `(${neu('lastTs')}, ${neu('last')}) > (COALESCE(${old('lastTs')}, ${NO_TS}), ${old('last')})`;
    const merge: Record<TierAggregate, string> = {
      n: `${old('n')} + ${neu('n')}`,
      sum: `COALESCE(${old('sum')} + ${neu('sum')}, ${old('sum')}, ${neu('sum')})`,
      // Scalar min()/max() are NULL when an argument is: COALESCE keeps the side that has a value.
      min: `COALESCE(min(${old('min')}, ${neu('min')}), ${old('min')}, ${neu('min')})`,
      max: `COALESCE(max(${old('max')}, ${neu('max')}), ${old('max')}, ${neu('max')})`,
      last: `CASE WHEN ${newer} THEN ${neu('last')} ELSE ${old('last')} END`,
      lastTs: `CASE WHEN ${newer} THEN ${neu('lastTs')} ELSE ${old('lastTs')} END`,
    };
    return aggregates.map((a) => `${col(a)} = ${merge[a]}`);
  });
}

/**
 * Folds the payloads of `agent_metrics m WHERE <where>` into one part of the tier (an upsert per
 * (agent, bucket)). The last non-null value of a column is found with a window: the latest ts
 * holding a value, then the largest value at that ts. With `single`, the caller promises at most
 * one payload per (agent, bucket), and each is its own partial (no window, no grouping). SQLite
 * upserts row by row, so `single` stays right without the promise, only slower.
 */
export function sqliteRollupPayloads(tier: RollupTier, part: TierPart, where: string, single = false): string {
  const table = partTable(tier, part);
  const names = SERIES_METRIC_NAMES;
  const withPayloads = part === TIER_PARTS[0];
  const hasLast = part.aggregates.includes('last');
  const inner =
    `SELECT m.agent_id AS agent_id, m.ts AS ts, ${bucketOf('m.ts', tier.ms)} AS bucket, ` +
    `${names.map((name, i) => `m.${name} AS v${i}`).join(', ')} FROM agent_metrics m WHERE ${where}`;
  const columns = names.flatMap((name) => part.aggregates.map((a) => tierColumn(name, a)));
  const set = [...(withPayloads ? [`payloads = ${table}.payloads + excluded.payloads`] : []), ...mergeSet(table, names, part.aggregates)];
  const insert = `INSERT INTO ${table} (agent_id, bucket, ${withPayloads ? 'payloads, ' : ''}${columns.join(', ')})`;
  // WHERE true: an upsert after INSERT ... SELECT needs it, or ON could be read as a join's.
  const upsert = `ON CONFLICT (agent_id, bucket) DO UPDATE SET ${set.join(',\n  ')}`;
  if (single) {
    const partial: Record<TierAggregate, (v: string) => string> = {
      n: (v) => `${v} IS NOT NULL`,
      sum: (v) => v,
      min: (v) => v,
      max: (v) => v,
      last: (v) => v,
      lastTs: (v) => `CASE WHEN ${v} IS NOT NULL THEN ts END`,
    };
    const values = names.flatMap((_, i) => part.aggregates.map((a) => partial[a](`v${i}`)));
    return `${insert}\nSELECT agent_id, bucket, ${withPayloads ? '1, ' : ''}${values.join(', ')} FROM (${inner}) WHERE true\n${upsert}`;
  }
  const source = hasLast
    ? `SELECT *, ${names.map((_, i) => `max(CASE WHEN v${i} IS NOT NULL THEN ts END) OVER w AS t${i}`).join(', ')} ` +
      `FROM (${inner}) WINDOW w AS (PARTITION BY agent_id, bucket)`
    : inner;
  const aggregate: Record<TierAggregate, (i: number) => string> = {
    n: (i) => `count(v${i})`,
    sum: (i) => `sum(v${i})`,
    min: (i) => `min(v${i})`,
    max: (i) => `max(v${i})`,
    last: (i) => `max(CASE WHEN ts = t${i} THEN v${i} END)`,
    lastTs: (i) => `max(t${i})`,
  };
  const values = names.flatMap((_, i) => part.aggregates.map((a) => aggregate[a](i)));
  return `${insert}\nSELECT agent_id, bucket, ${withPayloads ? 'count(*), ' : ''}${values.join(', ')} FROM (${source}) WHERE true GROUP BY agent_id, bucket\n${upsert}`;
}

/**
 * Folds the custom points of `agent_custom_metrics c WHERE <where>` into the tier. `single` as for
 * payloads: at most one point per (agent, name, bucket).
 */
export function sqliteRollupCustom(tier: RollupTier, where: string, single = false): string {
  const table = customTable(tier);
  const inner = `SELECT c.agent_id AS agent_id, c.name AS name, c.ts AS ts, ${bucketOf('c.ts', tier.ms)} AS bucket, c.value AS value FROM agent_custom_metrics c WHERE ${where}`;
  const insert = `INSERT INTO ${table} (agent_id, name, bucket, ${ALL_AGGREGATES.map((a) => tierColumn('value', a)).join(', ')})`;
  const upsert = `ON CONFLICT (agent_id, name, bucket) DO UPDATE SET ${mergeSet(table, ['value'], ALL_AGGREGATES).join(', ')}`;
  if (single) return `${insert}\nSELECT agent_id, name, bucket, 1, value, value, value, value, ts FROM (${inner}) WHERE true\n${upsert}`;
  const windowed = `SELECT *, max(ts) OVER (PARTITION BY agent_id, name, bucket) AS lt FROM (${inner})`;
  return (
    `${insert}\nSELECT agent_id, name, bucket, count(*), sum(value), min(value), max(value), max(CASE WHEN ts = lt THEN value END), max(lt) ` +
    `FROM (${windowed}) WHERE true GROUP BY agent_id, name, bucket\n${upsert}`
  );
}
