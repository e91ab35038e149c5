/** PostgreSQL: the event history (EventStore), and the event writes other modules make inside their transactions. */
import { toUtcIso } from '@agentmon/schema';
import type { SystemEvent } from '@agentmon/schema';
import type { Pool } from 'pg';
import type { EventFilter, EventStore } from '../ports.js';
import { eventConditions, SELECT_EVENT, whereClause, type EventRow } from '../sql/rows.js';
import { bindTo, read, rows, type PostgresColumns, type Queryable } from './db.js';

/**
 * Events as one JSON array. An event naming an agent that no longer exists is kept with agent_id
 * NULL, as ON DELETE SET NULL would have left it had it been written first; FOR KEY SHARE makes a
 * delete running at the same time finish first (or wait for us) instead of failing the foreign key.
 */
const INSERT_EVENTS = `
INSERT INTO system_events (id, type, agent_id, timestamp, data, severity, message, source)
SELECT e.id, e.type, a.id, e.timestamp, COALESCE(e.data, '{}'), e.severity, e.message, e.source
FROM jsonb_to_recordset($1::jsonb) AS e(id text, type text, agent_id text, timestamp timestamptz, data jsonb,
                                        severity text, message text, source text)
LEFT JOIN LATERAL (SELECT id FROM agents WHERE id = e.agent_id FOR KEY SHARE) a ON true`;

/** One statement for any number of events (see INSERT_EVENTS), on the pool or inside the caller's transaction. */
export async function insertEvents(db: Queryable, events: readonly SystemEvent[]): Promise<void> {
  if (events.length === 0) return;
  const batch = events.map((e) => ({
    id: e.id,
    type: e.type,
    agent_id: e.agent_id,
    timestamp: toUtcIso(e.timestamp),
    data: e.data,
    severity: e.severity,
    message: e.message,
    source: e.source,
  }));
  await db.query(INSERT_EVENTS, [JSON.stringify(batch)]);
}

export class PostgresEvents implements EventStore {
  constructor(private readonly pool: Pool) {}

  async insertEvents(events: readonly SystemEvent[]): Promise<void> {
    await insertEvents(this.pool, events);
  }

  async listEvents(filter: EventFilter): Promise<SystemEvent[]> {
    const params: unknown[] = [];
    const bind = bindTo(params);
    const clause = whereClause(eventConditions(filter, bind));
    const found = await rows<EventRow<PostgresColumns>>(
      this.pool,
      `${SELECT_EVENT} ${clause} ORDER BY timestamp DESC, id DESC LIMIT ${bind(filter.limit)}`,
      params,
    );
    return found.map(read.event);
  }

  async deleteEventsBefore(agentId: string | null, beforeIso: string, limit: number): Promise<number> {
    if (limit < 1) return 0;
    // Two statements rather than IS NOT DISTINCT FROM, which no index serves.
    const which = agentId === null ? 'agent_id IS NULL' : 'agent_id = $3';
    const result = await this.pool.query(
      `DELETE FROM system_events WHERE id IN (
         SELECT id FROM system_events WHERE ${which} AND timestamp < $1 ORDER BY timestamp LIMIT $2)`,
      agentId === null ? [toUtcIso(beforeIso), Math.floor(limit)] : [toUtcIso(beforeIso), Math.floor(limit), agentId],
    );
    return result.rowCount ?? 0;
  }
}
