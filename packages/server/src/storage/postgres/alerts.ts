/** PostgreSQL: alerts (AlertStore), and the batch of alert changes applyStates writes inside its transaction. */
import { toUtcIso } from '@agentmon/schema';
import type { Pool } from 'pg';
import type { AlertFilter, AlertRecord, AlertStore } from '../ports.js';
import { ALERT_COLUMN_NAMES, ALERT_COLUMNS, ALERT_MUTABLE_COLUMNS, alertConditions, alertOrder, alertValues, SELECT_ALERT, whereClause, type AlertColumn, type AlertRow } from '../sql/rows.js';
import { asIs, bindTo, read, rows, type PostgresColumns, type Queryable } from './db.js';

/** alerts' types as jsonb_to_recordset reads a batch. */
const ALERT_COLUMN_TYPES: Record<AlertColumn, string> = {
  id: 'text',
  agent_id: 'text',
  severity: 'text',
  title: 'text',
  message: 'text',
  metric_name: 'text',
  threshold: 'float8',
  current_value: 'float8',
  created_at: 'timestamptz',
  resolved_at: 'timestamptz',
  is_active: 'boolean',
  fingerprint: 'text',
  acknowledged_at: 'timestamptz',
  acknowledged_by: 'text',
  ack_comment: 'text',
  updated_at: 'timestamptz',
  last_notified_at: 'timestamptz',
};
const ALERT_RECORDSET = ALERT_COLUMN_NAMES.map((c) => `${c} ${ALERT_COLUMN_TYPES[c]}`).join(', ');

const INSERT_ALERT = `INSERT INTO alerts (${ALERT_COLUMNS}) VALUES (${ALERT_COLUMN_NAMES.map((_, i) => `$${i + 1}`).join(', ')})`;

const UPDATE_ALERT = `UPDATE alerts SET ${ALERT_COLUMN_NAMES.slice(1)
  .map((c, i) => `${c} = $${i + 2}`)
  .join(', ')} WHERE id = $1`;

/**
 * A batch of alert updates as one JSON array (by id; the columns a batch may change, its identity
 * left alone, as in SQLite). An update that keeps an alert active (a payload refreshing its value)
 * leaves one resolved meanwhile, by a person or another instance, resolved.
 */
const UPDATE_ALERTS = `
UPDATE alerts a SET ${ALERT_MUTABLE_COLUMNS.map((c) => `${c} = u.${c}`).join(', ')}
FROM jsonb_to_recordset($1::jsonb) AS u(${ALERT_RECORDSET})
WHERE a.id = u.id AND (a.is_active OR NOT u.is_active)`;

/**
 * A batch of new alerts as one JSON array. An insert whose fingerprint already has an active alert
 * (stored, or earlier in the batch) is skipped: the partial unique index is the arbiter, and a
 * writer racing us on the same fingerprint waits for our commit, then skips. Fingerprint order
 * keeps two such writers from waiting on each other.
 */
const INSERT_ALERTS = `
INSERT INTO alerts (${ALERT_COLUMNS})
SELECT ${ALERT_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS n(${ALERT_RECORDSET})
ORDER BY fingerprint
ON CONFLICT (fingerprint) WHERE is_active DO NOTHING`;

/** The last update of each alert, in id order: one statement cannot update a row twice, and order keeps row locks from crossing. */
export function lastById(alerts: readonly AlertRecord[]): AlertRecord[] {
  const byId = new Map(alerts.map((a) => [a.id, a]));
  return [...byId.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/**
 * Writes a batch's alert changes inside the caller's transaction, one statement each: updates
 * first, so an alert resolved and its successor fired in one batch both land.
 */
export async function writeAlerts(client: Queryable, updates: readonly AlertRecord[], inserts: readonly AlertRecord[]): Promise<void> {
  if (updates.length > 0) await client.query(UPDATE_ALERTS, [alertBatch(updates)]);
  if (inserts.length > 0) await client.query(INSERT_ALERTS, [alertBatch(inserts)]);
}

export class PostgresAlerts implements AlertStore {
  constructor(private readonly pool: Pool) {}

  async insertAlert(alert: AlertRecord): Promise<void> {
    await this.pool.query(INSERT_ALERT, alertParams(alert));
  }

  async updateAlert(alert: AlertRecord): Promise<void> {
    await this.pool.query(UPDATE_ALERT, alertParams(alert));
  }

  async getAlert(id: string): Promise<AlertRecord | null> {
    const [row] = await rows<AlertRow<PostgresColumns>>(this.pool, `${SELECT_ALERT} WHERE id = $1`, [id]);
    return row === undefined ? null : read.alert(row);
  }

  async listAlerts(filter: AlertFilter): Promise<{ items: AlertRecord[]; total: number }> {
    const params: unknown[] = [];
    const bind = bindTo(params);
    const clause = whereClause(alertConditions(filter, bind, asIs));
    const filterParams = [...params];
    const page = `LIMIT ${bind(filter.limit)} OFFSET ${bind(filter.offset)}`;

    const [items, count] = await Promise.all([
      rows<AlertRow<PostgresColumns>>(this.pool, `${SELECT_ALERT} ${clause} ORDER BY ${alertOrder(filter)} ${page}`, params),
      rows<{ n: number }>(this.pool, `SELECT COUNT(*)::int AS n FROM alerts ${clause}`, filterParams),
    ]);
    return { items: items.map(read.alert), total: count[0]?.n ?? 0 };
  }

  async getActiveAlerts(agentIds: readonly string[] | null): Promise<AlertRecord[]> {
    if (agentIds !== null && agentIds.length === 0) return [];
    const found =
      agentIds === null
        ? await rows<AlertRow<PostgresColumns>>(this.pool, `${SELECT_ALERT} WHERE is_active ORDER BY agent_id, created_at, id`)
        : await rows<AlertRow<PostgresColumns>>(
            this.pool,
            `${SELECT_ALERT} WHERE is_active AND agent_id = ANY($1::text[]) ORDER BY agent_id, created_at, id`,
            [[...agentIds]],
          );
    return found.map(read.alert);
  }

  async deleteResolvedAlertsBefore(agentId: string, beforeIso: string, limit: number): Promise<number> {
    if (limit < 1) return 0;
    const result = await this.pool.query(
      `DELETE FROM alerts WHERE id IN (
         SELECT id FROM alerts WHERE agent_id = $1 AND is_active = false AND created_at < $2 ORDER BY created_at LIMIT $3)`,
      [agentId, toUtcIso(beforeIso), Math.floor(limit)],
    );
    return result.rowCount ?? 0;
  }
}

/** Parameters $1..$17 in ALERT_COLUMN_NAMES order. */
function alertParams(alert: AlertRecord): unknown[] {
  const values = alertValues(alert, asIs);
  return ALERT_COLUMN_NAMES.map((c) => values[c]);
}

/** Alerts as one JSON array for jsonb_to_recordset (ALERT_RECORDSET). */
function alertBatch(alerts: readonly AlertRecord[]): string {
  return JSON.stringify(alerts.map((alert) => alertValues(alert, asIs)));
}
