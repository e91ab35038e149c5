/**
 * PostgreSQL: the ingest path's reads and writes (IngestStore). Several instances may share the
 * store, so each request reads its agents' contexts in one round trip and writes a batch in one
 * transaction of one statement per table.
 */
import { toUtcIso } from '@agentmon/schema';
import type { SystemEvent } from '@agentmon/schema';
import type { Pool } from 'pg';
import type { AgentState, AgentStateWrite, AlertWrites, IngestContext, IngestStore } from '../ports.js';
import { SELECT_INGEST, seenValues, stateValues, type IngestRow } from '../sql/rows.js';
import { asIs, read, rows, type PostgresColumns } from './db.js';
import { inTransaction } from './pool.js';
import { lastById, writeAlerts } from './alerts.js';
import { insertEvents } from './events.js';

/** GREATEST ignores NULL: a write without last_seen keeps the stored one. */
const UPDATE_AGENTS_SEEN = `
UPDATE agents a SET last_seen = GREATEST(a.last_seen, w.last_seen), status = COALESCE(w.status, a.status)
FROM jsonb_to_recordset($1::jsonb) AS w(agent_id text, last_seen timestamptz, status text)
WHERE a.id = w.agent_id`;

const UPSERT_STATES = `
INSERT INTO agent_state (agent_id, health_score, status_reason, last_metrics_at, last_heartbeat_at, last_health_at, snapshot)
SELECT w.agent_id, w.health_score, w.status_reason, w.last_metrics_at, w.last_heartbeat_at, w.last_health_at,
       COALESCE(w.snapshot, '{}')
FROM jsonb_to_recordset($1::jsonb) AS w(agent_id text, health_score float8, status_reason text,
       last_metrics_at timestamptz, last_heartbeat_at timestamptz, last_health_at timestamptz, snapshot jsonb)
ON CONFLICT (agent_id) DO UPDATE SET
  health_score = EXCLUDED.health_score, status_reason = EXCLUDED.status_reason,
  last_metrics_at = EXCLUDED.last_metrics_at, last_heartbeat_at = EXCLUDED.last_heartbeat_at,
  last_health_at = EXCLUDED.last_health_at, snapshot = EXCLUDED.snapshot`;

export class PostgresIngest implements IngestStore {
  constructor(private readonly pool: Pool) {}

  async getIngestContexts(ids: readonly string[]): Promise<Map<string, IngestContext>> {
    const contexts = new Map<string, IngestContext>();
    if (ids.length === 0) return contexts;
    const found = await rows<IngestRow<PostgresColumns>>(this.pool, `${SELECT_INGEST} WHERE a.id = ANY($1::text[])`, [[...ids]]);
    for (const row of found) contexts.set(row.id, read.ingest(row));
    return contexts;
  }

  async listIngestContexts(): Promise<IngestContext[]> {
    const found = await rows<IngestRow<PostgresColumns>>(this.pool, `${SELECT_INGEST} ORDER BY a.id`);
    return found.map(read.ingest);
  }

  async applyStates(writes: readonly AgentStateWrite[], events: readonly SystemEvent[], alerts?: AlertWrites): Promise<void> {
    const merged = mergeStateWrites(writes);
    const updates = lastById(alerts?.update ?? []);
    const inserts = alerts?.insert ?? [];
    // Every agent the batch names (states, alerts, events): its row locks come first, in id order, so
    // two batches touching the same agents cannot deadlock, the later key locks being ours already.
    const touched = new Set<string>([...merged, ...updates, ...inserts].map((x) => x.agent_id));
    for (const e of events) if (e.agent_id !== null) touched.add(e.agent_id);
    await inTransaction(this.pool, async (client) => {
      if (touched.size === 0) {
        await insertEvents(client, events);
        return;
      }
      // An agent deleted meanwhile is absent here and skipped: its state and alerts have nowhere to go.
      const locked = await rows<{ id: string }>(client, 'SELECT id FROM agents WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [[...touched]]);
      const present = new Set(locked.map((r) => r.id));
      const states = merged.filter((w) => present.has(w.agent_id));
      if (states.length > 0) {
        await client.query(UPDATE_AGENTS_SEEN, [JSON.stringify(states.map(seenValues))]);
      }
      const withState = states.filter((w): w is AgentStateWrite & { state: AgentState } => w.state !== undefined);
      if (withState.length > 0) {
        // The snapshot as it is: the whole batch becomes one JSON parameter.
        const batch = withState.map((w) => stateValues(w.agent_id, w.state, asIs));
        await client.query(UPSERT_STATES, [JSON.stringify(batch)]);
      }
      await writeAlerts(
        client,
        updates.filter((a) => present.has(a.agent_id)),
        inserts.filter((a) => present.has(a.agent_id)),
      );
      await insertEvents(client, events);
    });
  }
}

/**
 * One write per agent, as applying them in order would leave it: the latest last_seen, the last
 * status given, the last state. One statement cannot update a row twice.
 */
function mergeStateWrites(writes: readonly AgentStateWrite[]): AgentStateWrite[] {
  const byAgent = new Map<string, AgentStateWrite>();
  for (const w of writes) {
    const before = byAgent.get(w.agent_id);
    if (before === undefined) {
      byAgent.set(w.agent_id, w);
      continue;
    }
    const lastSeen = [before.last_seen, w.last_seen]
      .filter((t): t is string => t !== undefined)
      .map(toUtcIso)
      .sort()
      .pop();
    const status = w.status ?? before.status;
    const state = w.state ?? before.state;
    byAgent.set(w.agent_id, {
      agent_id: w.agent_id,
      ...(state !== undefined ? { state } : {}),
      ...(lastSeen !== undefined ? { last_seen: lastSeen } : {}),
      ...(status !== undefined ? { status } : {}),
    });
  }
  return [...byAgent.values()];
}
