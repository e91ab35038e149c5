/** The MetadataStore contract against SQLite files, plus what is particular to the SQLite schema. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteMetadataStore } from '../../src/storage/sqlite/metadata.js';
import { metadataContract } from './metadata-contract.js';

/** A fresh database file in its own temporary folder (WAL files included), removed by cleanup. */
async function openTemp(): Promise<{ store: SqliteMetadataStore; path: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'agentmon-meta-'));
  const path = join(dir, 'agentmon.db');
  return { store: new SqliteMetadataStore({ path }), path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

metadataContract('sqlite', async () => {
  const { store, cleanup } = await openTemp();
  return { store, cleanup };
});

describe('SQLite metadata schema', () => {
  it('has the seed tables and indexes, agentmon tables, and records its migrations', async () => {
    const { store, path, cleanup } = await openTemp();
    try {
      const applied = await store.migrate();
      await store.close();
      const db = new Database(path, { readonly: true });
      try {
        const names = (type: string): string[] =>
          db.prepare("SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all(type) as string[];
        assert.deepEqual(names('table'), [
          'agent_credentials',
          'agent_state',
          'agentmon_migrations',
          'agents',
          'alerts',
          'health_checks',
          'monitoring_configs',
          'settings',
          'system_events',
        ]);
        const indexes = names('index');
        for (const seed of [
          'idx_agents_status',
          'idx_agents_environment',
          'idx_agents_last_seen',
          'idx_alerts_agent_id',
          'idx_alerts_is_active',
          'idx_alerts_created_at',
          'idx_system_events_timestamp',
          'idx_system_events_type',
          'idx_alerts_fingerprint',
        ]) {
          assert.ok(indexes.includes(seed), `missing index ${seed}`);
        }
        const onDelete = (table: string): string[] =>
          (db.prepare(`SELECT on_delete FROM pragma_foreign_key_list('${table}')`).pluck().all() as string[]);
        assert.deepEqual(onDelete('monitoring_configs'), ['CASCADE']);
        assert.deepEqual(onDelete('alerts'), ['CASCADE']);
        assert.deepEqual(onDelete('system_events'), ['SET NULL']);
        assert.deepEqual(onDelete('health_checks'), ['CASCADE']);
        const recorded = db
          .prepare("SELECT version FROM agentmon_migrations WHERE component = 'metadata' ORDER BY version")
          .pluck()
          .all() as number[];
        assert.deepEqual(recorded, applied);
      } finally {
        db.close();
      }
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('works in memory', async () => {
    const store = new SqliteMetadataStore({ path: ':memory:' });
    try {
      assert.ok((await store.migrate()).length > 0);
      await store.putSetting('k', { v: 1 });
      assert.deepEqual(await store.getSetting('k'), { v: 1 });
    } finally {
      await store.close();
    }
  });
});
