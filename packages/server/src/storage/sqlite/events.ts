/** SQLite: the event history (EventStore), and the event writes other modules make inside their transactions. */
import { toUtcIso } from '@agentmon/schema';
import type { SystemEvent } from '@agentmon/schema';
import type { EventFilter, EventStore } from '../ports.js';
import { eventConditions, SELECT_EVENT, whereClause, type EventRow } from '../sql/rows.js';
import { bindTo, read, type SqliteColumns, type SqliteDb } from './db.js';

/**
 * An event naming an agent that no longer exists is kept with agent_id NULL, as ON DELETE SET NULL
 * would have left it had it been written first.
 */
const INSERT_EVENT = `
INSERT INTO system_events (id, type, agent_id, timestamp, data, severity, message, source)
VALUES (@id, @type, (SELECT id FROM agents WHERE id = @agent_id), @timestamp, @data, @severity, @message, @source)`;

export class SqliteEvents implements EventStore {
  constructor(private readonly db: SqliteDb) {}

  async insertEvents(events: readonly SystemEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.db.transaction(() => this.insertNow(events));
  }

  /** Inserts events inside the caller's transaction. */
  insertNow(events: readonly SystemEvent[]): void {
    const insert = this.db.statement(INSERT_EVENT);
    for (const e of events) {
      insert.run({
        id: e.id,
        type: e.type,
        agent_id: e.agent_id,
        timestamp: toUtcIso(e.timestamp),
        data: JSON.stringify(e.data),
        severity: e.severity,
        message: e.message,
        source: e.source,
      });
    }
  }

  async listEvents(filter: EventFilter): Promise<SystemEvent[]> {
    const params: unknown[] = [];
    const clause = whereClause(eventConditions(filter, bindTo(params)));
    const rows = this.db.statement(`${SELECT_EVENT} ${clause} ORDER BY timestamp DESC, id DESC LIMIT ?`).all(
      ...params,
      filter.limit,
    ) as EventRow<SqliteColumns>[];
    return rows.map(read.event);
  }

  async deleteEventsBefore(agentId: string | null, beforeIso: string, limit: number): Promise<number> {
    // SQLite reads a negative LIMIT as no limit at all.
    if (limit < 1) return 0;
    // `IS ?` matches NULL to NULL and a text to itself, so one statement serves both kinds of events.
    return this.db.statement(
      `DELETE FROM system_events WHERE id IN (
         SELECT id FROM system_events WHERE agent_id IS ? AND timestamp < ? ORDER BY timestamp LIMIT ?)`,
    ).run(agentId, toUtcIso(beforeIso), Math.floor(limit)).changes;
  }
}
