/**
 * SQLite: the ingest path's reads and writes (IngestStore). Hot: the cache in front
 * (metadata-cache.ts) calls getIngestContexts for agents it has not seen and applyStates for every
 * batch, so each prepares nothing new after the first call; the batches of one turn of the event
 * loop are written in one transaction.
 */
import type { SystemEvent } from '@agentmon/schema';
import type { AgentStateWrite, AlertWrites, IngestContext, IngestStore } from '../ports.js';
import { SELECT_INGEST, seenValues, stateValues, type IngestRow } from '../sql/rows.js';
import { read, type SqliteColumns, type SqliteDb } from './db.js';
import type { SqliteAlerts } from './alerts.js';
import type { SqliteEvents } from './events.js';

const UPDATE_AGENT_SEEN = `
UPDATE agents SET
  last_seen = CASE WHEN @last_seen IS NULL OR last_seen >= @last_seen THEN last_seen ELSE @last_seen END,
  status = COALESCE(@status, status)
WHERE id = @agent_id`;

const UPSERT_STATE = `
INSERT INTO agent_state (agent_id, health_score, status_reason, last_metrics_at, last_heartbeat_at, last_health_at, snapshot)
VALUES (@agent_id, @health_score, @status_reason, @last_metrics_at, @last_heartbeat_at, @last_health_at, @snapshot)
ON CONFLICT (agent_id) DO UPDATE SET
  health_score = excluded.health_score, status_reason = excluded.status_reason,
  last_metrics_at = excluded.last_metrics_at, last_heartbeat_at = excluded.last_heartbeat_at,
  last_health_at = excluded.last_health_at, snapshot = excluded.snapshot`;

/** One applyStates call waiting for its turn's transaction. */
interface QueuedWrite {
  writes: readonly AgentStateWrite[];
  events: readonly SystemEvent[];
  alerts: AlertWrites | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class SqliteIngest implements IngestStore {
  constructor(
    private readonly db: SqliteDb,
    private readonly alerts: SqliteAlerts,
    private readonly events: SqliteEvents,
  ) {}

  async getIngestContexts(ids: readonly string[]): Promise<Map<string, IngestContext>> {
    const contexts = new Map<string, IngestContext>();
    if (ids.length === 0) return contexts;
    const rows = this.db.statement(`${SELECT_INGEST} WHERE a.id IN (SELECT value FROM json_each(?))`).all(
      JSON.stringify(ids),
    ) as IngestRow<SqliteColumns>[];
    for (const row of rows) contexts.set(row.id, read.ingest(row));
    return contexts;
  }

  async listIngestContexts(): Promise<IngestContext[]> {
    const rows = this.db.statement(`${SELECT_INGEST} ORDER BY a.id`).all() as IngestRow<SqliteColumns>[];
    return rows.map(read.ingest);
  }

  /** Writes waiting for this turn's transaction (see applyStates). */
  private queued: QueuedWrite[] = [];

  /**
   * Writes the states, events and alert changes. The calls made in one turn of the event loop
   * share one transaction, run once the turn's callbacks are done: under concurrent single payloads
   * each request's few rows otherwise cost a transaction of their own (a commit writes every page
   * it touched to SQLite's log), 7 % of the server's main thread. Each call resolves once its rows
   * are committed; when the shared transaction fails, each call's rows are tried alone, so one
   * call's failure is its own.
   */
  applyStates(writes: readonly AgentStateWrite[], events: readonly SystemEvent[], alerts?: AlertWrites): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.queued.push({ writes, events, alerts, resolve, reject }) === 1) setImmediate(this.writeQueued);
    });
  }

  private readonly writeQueued = (): void => {
    const calls = this.queued;
    this.queued = [];
    try {
      this.db.transaction(() => {
        for (const call of calls) this.writeNow(call);
      });
    } catch (err) {
      if (calls.length === 1) return (calls[0] as QueuedWrite).reject(err as Error);
      for (const call of calls) {
        try {
          this.db.transaction(() => this.writeNow(call));
        } catch (own) {
          call.reject(own as Error);
          continue;
        }
        call.resolve();
      }
      return;
    }
    for (const call of calls) call.resolve();
  };

  private writeNow({ writes, events, alerts }: QueuedWrite): void {
    const updateAgent = this.db.statement(UPDATE_AGENT_SEEN);
    const upsertState = this.db.statement(UPSERT_STATE);
    for (const w of writes) {
      const moved = updateAgent.run(seenValues(w));
      // An agent deleted meanwhile is skipped: its state has nowhere to go.
      if (moved.changes === 0 || w.state === undefined) continue;
      upsertState.run(stateValues(w.agent_id, w.state, JSON.stringify));
    }
    if (alerts !== undefined) this.alerts.writeNow(alerts);
    this.events.insertNow(events);
  }
}
