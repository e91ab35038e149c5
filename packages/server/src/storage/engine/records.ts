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

/** A payload's numbers and labels: a SeriesPoint without `extra`, which travels as JSON text beside it. */
export type PointData = Omit<SeriesPoint, 'extra'>;

/** A payload as the log and the head carry it: the point, and its `extra` as JSON text. */
export interface LoggedPoint {
  point: PointData;
  extraJson: string;
}

/** A record read back from the log. */
export type LogRecord = { kind: 'insert'; points: LoggedPoint[] } | { kind: 'purge'; agentId: string } | { kind: 'cut'; agentId: string; cutTs: number };

if (SERIES_METRIC_NAMES.length > 32) throw new Error('the insert record keeps built-in columns in a 32-bit mask');

/** The insert record of a batch. */
export function encodeInsert(points: readonly LoggedPoint[]): Uint8Array {
  const w = new ByteWriter(256 * points.length + 64);
  w.u8(INSERT);
  w.uvarint(points.length);
  for (const { point, extraJson } of points) {
    w.str(point.agent_id);
    w.f64(point.ts);
    w.str(point.environment);
    w.str(point.deployment_type);
    let mask = 0;
    for (let i = 0; i < SERIES_METRIC_NAMES.length; i++) {
      const v = point.values[SERIES_METRIC_NAMES[i] as string];
      if (v !== null && v !== undefined) mask |= 1 << i;
    }
    w.u32(mask >>> 0);
    for (let i = 0; i < SERIES_METRIC_NAMES.length; i++) {
      if (mask & (1 << i)) w.f64(point.values[SERIES_METRIC_NAMES[i] as string] as number);
    }
    const keys = Object.keys(point.custom);
    w.uvarint(keys.length);
    for (const key of keys) {
      w.str(key);
      w.f64(point.custom[key] as number);
    }
    w.str(extraJson);
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
  const points: LoggedPoint[] = [];
  for (let p = 0; p < count; p++) {
    const agent_id = r.str();
    const ts = r.f64();
    const environment = r.str();
    const deployment_type = r.str();
    const mask = r.u32();
    const values: Record<string, number | null> = {};
    for (let i = 0; i < SERIES_METRIC_NAMES.length; i++) {
      if (mask & (1 << i)) values[SERIES_METRIC_NAMES[i] as string] = r.f64();
    }
    const customCount = r.uvarint();
    const custom: Record<string, number> = {};
    for (let i = 0; i < customCount; i++) {
      const key = r.str();
      custom[key] = r.f64();
    }
    const extraJson = r.str();
    points.push({
      point: { agent_id, ts, environment, deployment_type, values, custom },
      extraJson,
    });
  }
  if (!r.done()) throw new CorruptData('trailing bytes after an insert record');
  return { kind: 'insert', points };
}
