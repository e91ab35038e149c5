/** SQLite: the notification targets people add (NotificationTargetStore). */
import { toUtcIso } from '@agentmon/schema';
import type { NotificationTarget, NotificationTargetStore } from '../ports.js';
import { SELECT_TARGET, type NotificationTargetRow } from '../sql/rows.js';
import { read, type SqliteColumns, type SqliteDb } from './db.js';

export class SqliteTargets implements NotificationTargetStore {
  constructor(private readonly db: SqliteDb) {}

  async listNotificationTargets(): Promise<NotificationTarget[]> {
    const rows = this.db.statement(`${SELECT_TARGET} ORDER BY created_at, id`).all() as NotificationTargetRow<SqliteColumns>[];
    return rows.map(read.target);
  }

  async getNotificationTarget(id: string): Promise<NotificationTarget | null> {
    const row = this.db.statement(`${SELECT_TARGET} WHERE id = ?`).get(id) as NotificationTargetRow<SqliteColumns> | undefined;
    return row === undefined ? null : read.target(row);
  }

  async insertNotificationTarget(target: NotificationTarget): Promise<void> {
    this.db
      .statement('INSERT INTO notification_targets (id, name, kind, url, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(target.id, target.name, target.kind, target.url, target.enabled ? 1 : 0, toUtcIso(target.created_at));
  }

  async deleteNotificationTarget(id: string): Promise<boolean> {
    return this.db.statement('DELETE FROM notification_targets WHERE id = ?').run(id).changes > 0;
  }
}
