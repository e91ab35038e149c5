/**
 * SQL of the PostgreSQL rollup tiers (../series-tiers.ts): their tables, and the upserts
 * that fold raw rows into them. The same upserts serve ingest (fed by the RETURNING rows of the
 * batch's own INSERT, so the batch crosses the wire once), the backfill of migration 2 (every raw
 * row) and the recomputation of a bucket a retention cut runs through (its remaining raw rows), so
 * a tier is always the rollup of the raw rows it covers.
 */
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import type { RollupTier } from '../rollup-plan.js';
import { customTable, partTable, TIER_PARTS, tierColumn, type TierAggregate, type TierPart } from '../sql/series-tiers.js';

/** Every aggregate of a custom tier, in column order. */
const ALL_AGGREGATES: readonly TierAggregate[] = ['n', 'sum', 'min', 'max', 'last', 'lastTs'];

/** Below every stored ts (ms within Date's range). */
const NO_TS = '-9000000000000000::int8';

/** Floor of `ms` (int8) to a multiple of `width`, exact for negative ms too. */
function bucketOf(ms: string, width: number): string {
  const w = `${width}::int8`;
  return `(${ms} - ((${ms} % ${w}) + ${w}) % ${w})`;
}

const SQL_TYPE: Record<TierAggregate, string> = {
  n: 'INTEGER',
  sum: 'DOUBLE PRECISION',
  min: 'DOUBLE PRECISION',
  max: 'DOUBLE PRECISION',
  last: 'DOUBLE PRECISION',
  lastTs: 'BIGINT',
};

/**
 * CREATE TABLE and indexes of one tier: a table per part and one for custom points, one row per
 * (agent, bucket), bucket in epoch ms. A row is rewritten by every batch that adds to its bucket:
 * free room on each page (fillfactor) lets most of those be HOT updates, which leave the indexes
 * alone and let the page reclaim the old version at once.
 */
export function postgresTierDdl(tier: RollupTier): string {
  const parts = TIER_PARTS.map((part) => {
    const table = partTable(tier, part);
    const columns = SERIES_METRIC_NAMES.flatMap((name) =>
      part.aggregates.map((a) => `${tierColumn(name, a)} ${SQL_TYPE[a]}${a === 'n' ? ' NOT NULL' : ''}`),
    );
    return `
      CREATE TABLE ${table} (
        agent_id TEXT COLLATE "C" NOT NULL,
        bucket BIGINT NOT NULL,
        ${part === TIER_PARTS[0] ? 'payloads INTEGER NOT NULL,' : ''}
        ${columns.join(',\n        ')},
        PRIMARY KEY (agent_id, bucket)
      ) WITH (fillfactor = 60);
      CREATE INDEX ${table}_bucket_idx ON ${table} (bucket);`;
  });
  const custom = customTable(tier);
  return `${parts.join('\n')}
    CREATE TABLE ${custom} (
      agent_id TEXT COLLATE "C" NOT NULL,
      name TEXT COLLATE "C" NOT NULL,
      bucket BIGINT NOT NULL,
      ${ALL_AGGREGATES.map((a) => `${tierColumn('value', a)} ${SQL_TYPE[a]} NOT NULL`).join(', ')},
      PRIMARY KEY (agent_id, name, bucket)
    ) WITH (fillfactor = 60);
    CREATE INDEX ${custom}_name_bucket_idx ON ${custom} (name, bucket);
  `;
}

/** SET items merging `excluded` (new partial aggregates) into the stored row `t`. */
function mergeSet(names: readonly string[], aggregates: readonly TierAggregate[]): string[] {
  return names.flatMap((name) => {
    const col = (a: TierAggregate): string => tierColumn(name, a);
    const [old, neu] = [(a: TierAggregate) => `t.${col(a)}`, (a: TierAggregate) => `excluded.${col(a)}`];
    // The newer non-null last value wins; on equal ts the larger, as the raw path breaks ties.
    // (A NULL excluded ts makes the comparison NULL: the stored value stays.)
    const newer = `(${neu('lastTs')}, ${neu('last')}) > (COALESCE(${old('lastTs')}, ${NO_TS}), ${old('last')})`;
    const merge: Record<TierAggregate, string> = {
      n: `${old('n')} + ${neu('n')}`,
      sum: `COALESCE(${old('sum')} + ${neu('sum')}, ${old('sum')}, ${neu('sum')})`,
      // LEAST and GREATEST skip NULLs.
      min: `LEAST(${old('min')}, ${neu('min')})`,
      max: `GREATEST(${old('max')}, ${neu('max')})`,
      last: `CASE WHEN ${newer} THEN ${neu('last')} ELSE ${old('last')} END`,
      lastTs: `CASE WHEN ${newer} THEN ${neu('lastTs')} ELSE ${old('lastTs')} END`,
    };
    return aggregates.map((a) => `${col(a)} = ${merge[a]}`);
  });
}

/**
 * Folds payloads into one part of the tier, an upsert per (agent, bucket) in key order (so
 * concurrent batches lock shared rows in the same order). `source` yields agent_id, ms (epoch ms)
 * and one column per built-in series. The last non-null value of a column is found with a window:
 * the latest ms holding a value, then the largest value at that ms. With `single`, the caller
 * promises at most one source row per (agent, bucket) (an upsert cannot touch a row twice), and
 * each row is its own partial (no window, no grouping).
 */
export function postgresRollupPayloads(tier: RollupTier, part: TierPart, source: string, single = false): string {
  const table = partTable(tier, part);
  const names = SERIES_METRIC_NAMES;
  const withPayloads = part === TIER_PARTS[0];
  const inner = `SELECT agent_id, ms, ${bucketOf('ms', tier.ms)} AS bucket, ${names.join(', ')} FROM ${source}`;
  const columns = names.flatMap((name) => part.aggregates.map((a) => tierColumn(name, a)));
  const set = [...(withPayloads ? ['payloads = t.payloads + excluded.payloads'] : []), ...mergeSet(names, part.aggregates)];
  const insert = `INSERT INTO ${table} AS t (agent_id, bucket, ${withPayloads ? 'payloads, ' : ''}${columns.join(', ')})`;
  const upsert = `ON CONFLICT (agent_id, bucket) DO UPDATE SET ${set.join(',\n  ')}`;
  if (single) {
    const partial: Record<TierAggregate, (v: string) => string> = {
      n: (v) => `(${v} IS NOT NULL)::int`,
      sum: (v) => v,
      min: (v) => v,
      max: (v) => v,
      last: (v) => v,
      lastTs: (v) => `CASE WHEN ${v} IS NOT NULL THEN ms END`,
    };
    const values = names.flatMap((name) => part.aggregates.map((a) => partial[a](name)));
    return `${insert}\nSELECT agent_id, bucket, ${withPayloads ? '1, ' : ''}${values.join(', ')} FROM (${inner}) s ORDER BY agent_id, bucket\n${upsert}`;
  }
  const windowed = part.aggregates.includes('last')
    ? `SELECT *, ${names.map((name, i) => `max(ms) FILTER (WHERE ${name} IS NOT NULL) OVER w AS t${i}`).join(', ')} ` +
      `FROM (${inner}) s WINDOW w AS (PARTITION BY agent_id, bucket)`
    : inner;
  const aggregate: Record<TierAggregate, (name: string, i: number) => string> = {
    n: (name) => `count(${name})`,
    sum: (name) => `sum(${name})`,
    min: (name) => `min(${name})`,
    max: (name) => `max(${name})`,
    last: (name, i) => `max(${name}) FILTER (WHERE ms = t${i})`,
    lastTs: (_, i) => `max(t${i})`,
  };
  const values = names.flatMap((name, i) => part.aggregates.map((a) => aggregate[a](name, i)));
  return (
    `${insert}\nSELECT agent_id, bucket, ${withPayloads ? 'count(*), ' : ''}${values.join(', ')} ` +
    `FROM (${windowed}) s GROUP BY agent_id, bucket ORDER BY agent_id, bucket\n${upsert}`
  );
}

/**
 * Folds custom points into the tier; `source` yields agent_id, ms, name and value. `single` as for
 * payloads: at most one source row per (agent, name, bucket).
 */
export function postgresRollupCustom(tier: RollupTier, source: string, single = false): string {
  const table = customTable(tier);
  const inner = `SELECT agent_id, name, ms, ${bucketOf('ms', tier.ms)} AS bucket, value FROM ${source}`;
  const insert = `INSERT INTO ${table} AS t (agent_id, name, bucket, ${ALL_AGGREGATES.map((a) => tierColumn('value', a)).join(', ')})`;
  const upsert = `ON CONFLICT (agent_id, name, bucket) DO UPDATE SET ${mergeSet(['value'], ALL_AGGREGATES).join(', ')}`;
  if (single) {
    return `${insert}\nSELECT agent_id, name, bucket, 1, value, value, value, value, ms FROM (${inner}) s ORDER BY agent_id, name, bucket\n${upsert}`;
  }
  const windowed = `SELECT *, max(ms) OVER (PARTITION BY agent_id, name, bucket) AS lt FROM (${inner}) s`;
  return (
    `${insert}\nSELECT agent_id, name, bucket, count(*), sum(value), min(value), max(value), max(value) FILTER (WHERE ms = lt), max(lt) ` +
    `FROM (${windowed}) s GROUP BY agent_id, name, bucket ORDER BY agent_id, name, bucket\n${upsert}`
  );
}
