/**
 * The latest values of an agent, kept in memory by the engine for `aggregation=last`, AgentSummary
 * and the dashboard: its newest payload's timestamp and each column's newest value with its
 * timestamp (ties to the larger value, as `last` breaks them). Updated in place on every insert.
 *
 * The built-in columns sit at their index in SERIES_METRIC_NAMES (rows.ts's BUILTIN_INDEX), so an insert reaches them without
 * a lookup by name (27 a payload), and custom ones by their key without the `custom.` prefix, so
 * an insert builds no name. A query resolves its metric names once (columnOf), not once per agent.
 */
import { CUSTOM_METRIC_PREFIX, isQueryableMetricName } from '@agentmon/schema';
import { BUILTIN_COLUMNS, BUILTIN_INDEX } from './rows.js';

const BUILTINS = BUILTIN_COLUMNS.length;

/** A column as AgentLatest reads it: a built-in's index, or a custom metric's key (no prefix). */
export type LatestColumn = number | { custom: string };

/** The column of a series metric name, or null for a name that is neither built in nor `custom.<key>`. */
export function columnOf(name: string): LatestColumn | null {
  const builtin = BUILTIN_INDEX.get(name);
  if (builtin !== undefined) return builtin;
  return isQueryableMetricName(name) ? { custom: name.slice(CUSTOM_METRIC_PREFIX.length) } : null;
}

export class AgentLatest {
  maxTs = Number.NEGATIVE_INFINITY;
  private readonly builtinTs = new Float64Array(BUILTINS).fill(Number.NEGATIVE_INFINITY);
  private readonly builtinValues = new Float64Array(BUILTINS);
  private readonly customSlots = new Map<string, number>();
  private readonly customTs: number[] = [];
  private readonly customValues: number[] = [];

  /** A built-in column's value, by its index in SERIES_METRIC_NAMES. */
  putBuiltin(index: number, ts: number, value: number): void {
    const seen = this.builtinTs[index] as number;
    if (ts > seen || (ts === seen && value > (this.builtinValues[index] as number))) {
      this.builtinTs[index] = ts;
      this.builtinValues[index] = value;
    }
  }

  /** A custom metric's value, by its key without the `custom.` prefix. */
  putCustom(key: string, ts: number, value: number): void {
    const slot = this.customSlots.get(key);
    if (slot === undefined) {
      this.customSlots.set(key, this.customTs.length);
      this.customTs.push(ts);
      this.customValues.push(value);
      return;
    }
    const seen = this.customTs[slot] as number;
    if (ts > seen || (ts === seen && value > (this.customValues[slot] as number))) {
      this.customTs[slot] = ts;
      this.customValues[slot] = value;
    }
  }

  /** A value by series name (a block's column); a name that is no column is not kept (no query can name it). */
  put(name: string, ts: number, value: number): void {
    const column = columnOf(name);
    if (column === null) return;
    if (typeof column === 'number') this.putBuiltin(column, ts, value);
    else this.putCustom(column.custom, ts, value);
  }

  /** The newest value of a column at or after `from`, or null. */
  valueSince(column: LatestColumn, from: number): number | null {
    if (typeof column === 'number') {
      const ts = this.builtinTs[column] as number;
      // -Infinity: never put, or dropped (whatever `from` is).
      return ts === Number.NEGATIVE_INFINITY || ts < from ? null : (this.builtinValues[column] as number);
    }
    const slot = this.customSlots.get(column.custom);
    const ts = slot === undefined ? Number.NEGATIVE_INFINITY : (this.customTs[slot] as number);
    return ts === Number.NEGATIVE_INFINITY || ts < from ? null : (this.customValues[slot as number] as number);
  }

  /** Forgets columns whose newest value is before `cutTs` (retention took every value of them). */
  dropBefore(cutTs: number): void {
    for (let i = 0; i < BUILTINS; i++) if ((this.builtinTs[i] as number) < cutTs) this.builtinTs[i] = Number.NEGATIVE_INFINITY;
    for (let slot = 0; slot < this.customTs.length; slot++) if ((this.customTs[slot] as number) < cutTs) this.customTs[slot] = Number.NEGATIVE_INFINITY;
  }
}
