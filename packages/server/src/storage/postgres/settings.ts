/** PostgreSQL: small named JSON documents (SettingStore), as jsonb. */
import type { Pool } from 'pg';
import type { SettingStore } from '../ports.js';
import { rows } from './db.js';

export class PostgresSettings implements SettingStore {
  constructor(private readonly pool: Pool) {}

  async getSetting<T>(key: string): Promise<T | null> {
    const [row] = await rows<{ value: unknown }>(this.pool, 'SELECT value FROM settings WHERE key = $1', [key]);
    return row === undefined ? null : (row.value as T);
  }

  async putSetting(key: string, value: unknown): Promise<void> {
    await this.pool.query(
      `INSERT INTO settings (key, value) VALUES ($1, $2::jsonb)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = NOW()`,
      [key, JSON.stringify(value ?? null)],
    );
  }
}
