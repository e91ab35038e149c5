/** PostgreSQL: the notification targets people add (NotificationTargetStore). */
import { toUtcIso } from '@agentmon/schema';
import type { Pool } from 'pg';
import type { NotificationTarget, NotificationTargetStore } from '../ports.js';
import { SELECT_TARGET, type NotificationTargetRow } from '../sql/rows.js';
import { read, rows, type PostgresColumns } from './db.js';

export class PostgresTargets implements NotificationTargetStore {
  constructor(private readonly pool: Pool) {}

  async listNotificationTargets(): Promise<NotificationTarget[]> {
    const found = await rows<NotificationTargetRow<PostgresColumns>>(this.pool, `${SELECT_TARGET} ORDER BY created_at, id`);
    return found.map(read.target);
  }

  async getNotificationTarget(id: string): Promise<NotificationTarget | null> {
    const [row] = await rows<NotificationTargetRow<PostgresColumns>>(this.pool, `${SELECT_TARGET} WHERE id = $1`, [id]);
    return row === undefined ? null : read.target(row);
  }

  async insertNotificationTarget(target: NotificationTarget): Promise<void> {
    await this.pool.query('INSERT INTO notification_targets (id, name, kind, url, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      target.id,
      target.name,
      target.kind,
      target.url,
      target.enabled,
      toUtcIso(target.created_at),
    ]);
  }

  async deleteNotificationTarget(id: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM notification_targets WHERE id = $1', [id]);
    return (result.rowCount ?? 0) > 0;
  }
}
