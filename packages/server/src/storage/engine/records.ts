/**
 * The records of the write-ahead log: a batch of payloads (one record per insert call, so a batch
 * is all in or all out), and the purge of an agent (its payloads up to that point are gone).
 *
 *   insert: u8 1, count, then per payload: agent id, ts (f64), environment, deployment type,
 *           a u32 mask of the built-in columns present and their values (f64), the custom values
 *           (count, then key and f64 each) and `extra` as JSON text
 *   purge:  u8 2, agent id
 *   cut:    u8 3, agent id, f64 timestamp (retention: the agent's payloads before it are gone)
 */
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import type { SeriesPoint } from '../ports.js';
import { ByteReader, ByteWriter, CorruptData } from './bytes.js';

const INSERT = 1;
const PURGE = 2;
const CUT = 3;

/**
 * A payload as the engine carries it from insert to the log and the head: its labels, the built-in
 * values densely (SERIES_METRIC_NAMES order, NaN where absent, and a bit mask of those present),
 * the custom values, and `extra` as JSON text. Built once per payload, read by everything after.
 */
export interface PointRow {
  agent: string;
  ts: number;
  environment: string;
  deploymentType: string;
  /**
   * A plain array, not a Float64Array: 26 doubles are past V8's 64-byte limit for typed arrays
   * kept on its heap, so each was a malloc of its own, 720 k of them per 2 h of a 1,000-agent
   * fleet, and that churn left the C heap fragmented (heaptrack: 48 MiB at peak). A double array
   * lives and dies in V8's young generation.
   */
  builtins: number[];
  mask: number;
  customKeys: string[];
  customValues: number[];
  extraJson: string;
}

/** A record read back from the log. */
export type LogRecord = { kind: 'insert'; points: PointRow[] } | { kind: 'purge'; agentId: string } | { kind: 'cut'; agentId: string; cutTs: number };

if (SERIES_METRIC_NAMES.length > 32) throw new Error('the insert record keeps built-in columns in a 32-bit mask');
const BUILTINS = SERIES_METRIC_NAMES.length;

/** A payload's built-in values, all NaN (absent): a double array on V8's heap (see PointRow.builtins). */
export function newBuiltins(): number[] {
  const out = new Array<number>(BUILTINS);
  for (let i = 0; i < BUILTINS; i++) out[i] = Number.NaN;
  return out;
}

/**
 * The row of a point, refusing what the engine cannot keep exactly: a bad agent id, a fractional or
 * out-of-range ts, a non-finite value (RangeError naming it).
 */
export function toPointRow(point: SeriesPoint): PointRow {
  const where = (): string => `series point of ${String(point.agent_id)} at ${String(point.ts)}`;
  if (typeof point.agent_id !== 'string' || point.agent_id === '') throw new RangeError(`${where()}: agent_id must be a non-empty string`);
  if (!Number.isSafeInteger(point.ts) || Math.abs(point.ts) > 8.64e15) throw new RangeError(`${where()}: ts must be integer epoch ms within Date's range`);
  if (typeof point.environment !== 'string' || typeof point.deployment_type !== 'string') throw new RangeError(`${where()}: environment and deployment_type must be strings`);
  const builtins = newBuiltins();
  let mask = 0;
  const values = point.values;
  for (let i = 0; i < BUILTINS; i++) {
    const v = values[SERIES_METRIC_NAMES[i] as string];
    if (v === null || v === undefined) {
      builtins[i] = Number.NaN;
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${where()}: ${SERIES_METRIC_NAMES[i]} is ${String(v)}`);
    builtins[i] = v;
    mask |= 1 << i;
  }
  const customKeys = Object.keys(point.custom);
  const customValues = new Array<number>(customKeys.length);
  for (let i = 0; i < customKeys.length; i++) {
    const v = point.custom[customKeys[i] as string];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${where()}: custom.${customKeys[i]} is ${String(v)}`);
    customValues[i] = v;
  }
  return {
    agent: point.agent_id,
    ts: point.ts,
    environment: point.environment,
    deploymentType: point.deployment_type,
    builtins,
    mask: mask >>> 0,
    customKeys,
    customValues,
    extraJson: JSON.stringify(point.extra),
  };
}

/** The insert record of a batch. */
export function encodeInsert(rows: readonly PointRow[]): Uint8Array {
  const w = new ByteWriter(320 * rows.length + 64);
  w.u8(INSERT);
  w.uvarint(rows.length);
  for (const row of rows) {
    w.str(row.agent);
    w.f64(row.ts);
    w.str(row.environment);
    w.str(row.deploymentType);
    w.u32(row.mask);
    const mask = row.mask;
    for (let i = 0; i < BUILTINS; i++) if (mask & (1 << i)) w.f64(row.builtins[i] as number);
    w.uvarint(row.customKeys.length);
    for (let i = 0; i < row.customKeys.length; i++) {
      w.str(row.customKeys[i] as string);
      w.f64(row.customValues[i] as number);
    }
    w.str(row.extraJson);
  }
  return w.view8();
}

/** The purge record of an agent. */
export function encodePurge(agentId: string): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(PURGE);
  w.str(agentId);
  return w.toBuffer();
}

/** The retention cut record of an agent. */
export function encodeCut(agentId: string, cutTs: number): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(CUT);
  w.str(agentId);
  w.f64(cutTs);
  return w.toBuffer();
}

/** Reads a record; throws CorruptData on bytes that are not one. */
export function decodeRecord(body: Uint8Array): LogRecord {
  const r = new ByteReader(body);
  const kind = r.u8();
  if (kind === PURGE) return { kind: 'purge', agentId: r.str() };
  if (kind === CUT) return { kind: 'cut', agentId: r.str(), cutTs: r.f64() };
  if (kind !== INSERT) throw new CorruptData(`unknown log record kind ${kind}`);
  const count = r.uvarint();
  const points: PointRow[] = [];
  for (let p = 0; p < count; p++) {
    const agent = r.str();
    const ts = r.f64();
    const environment = r.str();
    const deploymentType = r.str();
    const mask = r.u32();
    const builtins = newBuiltins();
    for (let i = 0; i < BUILTINS; i++) builtins[i] = mask & (1 << i) ? r.f64() : Number.NaN;
    const customCount = r.uvarint();
    const customKeys: string[] = [];
    const customValues: number[] = [];
    for (let i = 0; i < customCount; i++) {
      customKeys.push(r.str());
      customValues.push(r.f64());
    }
    points.push({ agent, ts, environment, deploymentType, builtins, mask, customKeys, customValues, extraJson: r.str() });
  }
  if (!r.done()) throw new CorruptData('trailing bytes after an insert record');
  return { kind: 'insert', points };
}
