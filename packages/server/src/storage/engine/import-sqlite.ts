/**
 * Brings the series of an earlier agentmon (the SQLite series store, `<dataDir>/metrics.db`) into
 * the engine, once: agent by agent, each agent's payloads in timestamp order with their custom
 * points and `extra`, through the engine's ordinary durable insert. The manifest records each agent
 * done, so an import stopped in the middle (Ctrl-C, a crash) resumes where it was on the next
 * start: the agent it was in the middle of is purged and imported again. When every agent is in,
 * the old file is renamed `metrics.db.imported` (kept until the user deletes it).
 */
import { existsSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import type { SeriesPoint } from '../ports.js';
import type { SeriesEngine } from './engine.js';

/** How far an import is. */
export interface ImportProgress {
  agentsDone: number;
  agents: number;
  payloadsDone: number;
  payloads: number;
}

/** What an import did. */
export interface ImportResult {
  /** False when there was nothing to import (no old file, or done before). */
  ran: boolean;
  agents: number;
  payloads: number;
}

const PAGE = 5_000;

interface PayloadRow {
  ts: number;
  environment: string;
  deployment_type: string;
  extra: string;
  [column: string]: unknown;
}

/** Imports `path` into `engine` unless that was done; `progress` hears after every agent. */
export async function importSqliteSeries(path: string, engine: SeriesEngine, progress: (p: ImportProgress) => void = () => undefined): Promise<ImportResult> {
  const state = engine.importState();
  if (state?.done || !existsSync(path)) return { ran: false, agents: 0, payloads: 0 };
  const db = new Database(path, { readonly: true, fileMustExist: true });
  let result: ImportResult;
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'agent_metrics'").get();
    if (!hasTable) {
      await engine.markImported(null);
      result = { ran: true, agents: 0, payloads: 0 };
    } else {
      result = await importAgents(db, engine, new Set(state?.agents ?? []), progress);
    }
  } finally {
    db.close();
  }
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, `${path}.imported${suffix}`);
  }
  return result;
}

async function importAgents(db: Database.Database, engine: SeriesEngine, done: ReadonlySet<string>, progress: (p: ImportProgress) => void): Promise<ImportResult> {
  const agents = db
    .prepare(
      `WITH RECURSIVE a(id) AS (
         SELECT MIN(agent_id) FROM agent_metrics
         UNION ALL SELECT (SELECT MIN(agent_id) FROM agent_metrics WHERE agent_id > a.id) FROM a WHERE a.id IS NOT NULL
       ) SELECT id FROM a WHERE id IS NOT NULL`,
    )
    .pluck()
    .all() as string[];
  const total = Number(db.prepare('SELECT COUNT(*) FROM agent_metrics').pluck().get());
  const countOf = db.prepare('SELECT COUNT(*) FROM agent_metrics WHERE agent_id = ?').pluck();
  const columns = `rowid, ts, environment, deployment_type, extra, ${SERIES_METRIC_NAMES.join(', ')}`;
  const page = db.prepare(`SELECT ${columns} FROM agent_metrics WHERE agent_id = ? AND ts > ? ORDER BY ts, rowid LIMIT ${PAGE}`);
  const group = db.prepare(`SELECT ${columns} FROM agent_metrics WHERE agent_id = ? AND ts = ? ORDER BY rowid`);
  const customs = db.prepare('SELECT ts, name, value FROM agent_custom_metrics WHERE agent_id = ? AND ts >= ? AND ts <= ? ORDER BY ts, rowid');
  let payloadsDone = 0;
  let agentsDone = 0;
  for (const agent of agents) {
    if (done.has(agent)) {
      payloadsDone += Number(countOf.get(agent));
      agentsDone++;
      continue;
    }
    // Rows of this agent from an import that stopped in the middle go first.
    if ((await engine.agentsWithPoints([agent], -8.64e15, 8.64e15)).length > 0) await engine.deleteAgent(agent);
    // Pages end between milliseconds, so a millisecond's custom points go with all its payloads.
    let after = -9e15;
    for (;;) {
      let rows = page.all(agent, after) as PayloadRow[];
      if (rows.length === 0) break;
      if (rows.length === PAGE) {
        const lastTs = (rows[rows.length - 1] as PayloadRow).ts;
        const whole = rows.filter((r) => r.ts < lastTs);
        rows = whole.length > 0 ? whole : (group.all(agent, lastTs) as PayloadRow[]);
      }
      const first = (rows[0] as PayloadRow).ts;
      after = (rows[rows.length - 1] as PayloadRow).ts;
      await engine.insert(toPoints(agent, rows, customs.all(agent, first, after) as { ts: number; name: string; value: number }[]));
      payloadsDone += rows.length;
      // Let the head flush before it grows past its bound.
      await engine.maintain();
    }
    await engine.markImported(agent);
    agentsDone++;
    progress({ agentsDone, agents: agents.length, payloadsDone, payloads: total });
  }
  await engine.markImported(null);
  return { ran: true, agents: agents.length, payloads: total };
}

/**
 * Payload rows with their custom points. The old store matched custom points to payloads by
 * timestamp only, so the points of a millisecond are dealt out to that millisecond's payloads in
 * order (each name once per payload): every query then answers as the old store did.
 */
function toPoints(agent: string, rows: readonly PayloadRow[], points: readonly { ts: number; name: string; value: number }[]): SeriesPoint[] {
  const byTs = new Map<number, { name: string; value: number }[]>();
  for (const p of points) {
    const list = byTs.get(p.ts) ?? [];
    list.push(p);
    byTs.set(p.ts, list);
  }
  return rows.map((row) => {
    const values: Record<string, number | null> = {};
    for (const name of SERIES_METRIC_NAMES) {
      const v = row[name];
      if (typeof v === 'number') values[name] = v;
    }
    const custom: Record<string, number> = {};
    const pending = byTs.get(row.ts);
    if (pending) {
      const left: { name: string; value: number }[] = [];
      for (const p of pending) {
        if (p.name in custom) left.push(p);
        else custom[p.name] = p.value;
      }
      byTs.set(row.ts, left);
    }
    return {
      agent_id: agent,
      ts: row.ts,
      environment: row.environment,
      deployment_type: row.deployment_type,
      values,
      custom,
      extra: JSON.parse(row.extra) as SeriesPoint['extra'],
    };
  });
}
