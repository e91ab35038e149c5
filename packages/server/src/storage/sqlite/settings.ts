/** SQLite: small named JSON documents (SettingStore), as JSON TEXT. */
import type { SettingStore } from '../ports.js';
import { nowIso, type SqliteDb } from './db.js';

export class SqliteSettings implements SettingStore {
  constructor(private readonly db: SqliteDb) {}

  async getSetting<T>(key: string): Promise<T | null> {
    const row = this.db.statement('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    if (row === undefined) return null;
    const value: unknown = JSON.parse(row.value);
    return value as T;
  }

  async putSetting(key: string, value: unknown): Promise<void> {
    this.db
      .statement(
        `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, JSON.stringify(value ?? null), nowIso());
  }
}
