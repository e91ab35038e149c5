/**
 * What the SQL dialects store differently, named once: the types a driver returns for those
 * columns (ColumnTypes) and how an adapter turns them into what the ports carry (RowDecoder).
 */

/**
 * The types a driver returns for the columns the dialects store differently; each adapter names
 * its own (PostgreSQL: Date, boolean, parsed JSONB, text[]; SQLite: ISO TEXT, 0/1, JSON TEXT).
 */
export interface ColumnTypes {
  /** A timestamp column that is not NULL. */
  time: unknown;
  /** A boolean column that is not NULL. */
  flag: boolean | number;
  /** A JSON column, SQL NULL included. */
  json: unknown;
  /** agents.tags, SQL NULL included. */
  tags: unknown;
}

/** How an adapter turns its driver's values of the ColumnTypes into what the port carries. */
export interface RowDecoder<C extends ColumnTypes> {
  /** A timestamp as ISO 8601 UTC with milliseconds. */
  time(value: C['time']): string;
  flag(value: C['flag']): boolean;
  /** The JSON value; null for SQL NULL. */
  json(value: C['json']): unknown;
  tags(value: C['tags']): string[];
}

// The seed's DDL lets many columns be NULL; agentmon always writes them, so NULL only comes from
// rows written by other tools, and reads fall back to the seed's model defaults.
export const EPOCH = '1970-01-01T00:00:00.000Z';

export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
