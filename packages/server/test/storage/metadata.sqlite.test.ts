/** The MetadataStore contract against SQLite files, plus what is particular to the SQLite schema. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteMetadataStore } from '../../src/storage/sqlite/metadata.js';
import { CachedMetadataStore } from '../../src/storage/metadata-cache.js';
import { SQLITE_METADATA_MIGRATIONS, SQLITE_MIGRATIONS_TABLE } from '../../src/storage/sqlite/metadata-migrations.js';
import { metadataContract } from './contract/metadata-contract.js';
import { METADATA_INDEXES } from './contract/seed-schema.js';
import { ALERT_REFRESH_COLUMNS } from '../../src/storage/sql/rows.js';
import { SqliteDb } from '../../src/storage/sqlite/db.js';
import { randomUUID } from 'node:crypto';
import type { SystemEvent } from '@agentmon/schema';

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

// As the server runs it: behind the in-memory cache of the ingest path, state written behind.
metadataContract('sqlite behind the ingest cache', async () => {
  const { store, cleanup } = await openTemp();
  return { store: new CachedMetadataStore(store, { writeBehindMs: 20 }), cleanup };
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
          'notification_targets',
          'settings',
          'system_events',
        ]);
        const indexes = names('index');
        for (const seed of METADATA_INDEXES) {
          assert.ok(indexes.includes(seed), `missing index ${seed}`);
        }
        const unique = db.prepare("SELECT \"unique\" AS u, partial AS p FROM pragma_index_list('alerts') WHERE name = ?").get('uq_alerts_active_fingerprint');
        assert.deepEqual(unique, { u: 1, p: 1 }, 'one active alert per fingerprint: a unique partial index');
        const notNull = (table: string): string[] =>
          db.prepare(`SELECT name FROM pragma_table_info('${table}') WHERE "notnull" = 1 ORDER BY cid`).pluck().all() as string[];
        assert.deepEqual(notNull('alerts'), ['severity', 'title', 'message', 'fingerprint', 'updated_at']);
        assert.deepEqual(notNull('notification_targets'), ['name', 'kind', 'url', 'enabled', 'created_at']);
        const onDelete = (table: string): string[] =>
          (db.prepare(`SELECT on_delete FROM pragma_foreign_key_list('${table}')`).pluck().all() as string[]);
        assert.deepEqual(onDelete('monitoring_configs'), ['CASCADE']);
        assert.deepEqual(onDelete('alerts'), ['CASCADE']);
        assert.deepEqual(onDelete('system_events'), ['SET NULL']);
        assert.deepEqual(onDelete('health_checks'), ['CASCADE']);
        // A batch refreshing a firing alert writes the row only because no index holds a column it
        // sets (ALERT_REFRESH_COLUMNS), neither as a key nor in a partial index's WHERE.
        const alertIndexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts'").all() as { name: string; sql: string | null }[];
        assert.ok(alertIndexes.length >= 5, 'the alerts indexes are there to check');
        for (const index of alertIndexes) {
          const keys = db.prepare('SELECT name FROM pragma_index_info(?)').pluck().all(index.name) as string[];
          const where = /\bWHERE\b(.*)$/is.exec(index.sql ?? '')?.[1] ?? '';
          for (const column of ALERT_REFRESH_COLUMNS) {
            assert.ok(!keys.includes(column), `${index.name} holds ${column}, which a refresh sets`);
            assert.ok(!new RegExp(`\\b${column}\\b`).test(where), `${index.name}'s WHERE reads ${column}, which a refresh sets`);
          }
        }
        assert.ok(ALERT_REFRESH_COLUMNS.includes('current_value') && !ALERT_REFRESH_COLUMNS.includes('is_active'));
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

  it('gives alerts written before version 2 a fingerprint of their own and keeps them', async () => {
    const { store, path, cleanup } = await openTemp();
    try {
      const [seed] = SQLITE_METADATA_MIGRATIONS;
      assert.equal(seed?.version, 1);
      const db = new Database(path);
      try {
        db.exec(SQLITE_MIGRATIONS_TABLE);
        db.exec(seed.up);
        db.prepare("INSERT INTO agentmon_migrations (component, version, name) VALUES ('metadata', 1, ?)").run(seed.name);
        db.exec(`
          INSERT INTO agents (id, name, type, version, deployment_type, host, environment) VALUES ('a', 'a', 'llm_agent', '1', 'docker', 'h', 'prod');
          INSERT INTO alerts (id, agent_id, severity, title, message, created_at) VALUES ('old-1', 'a', 'warning', 't', 'm', '2026-01-01T00:00:00.000Z');
          INSERT INTO alerts (id, agent_id, severity, title, message, created_at) VALUES ('old-2', 'a', 'warning', 't', 'm', '2026-01-01T00:01:00.000Z');`);
      } finally {
        db.close();
      }
      assert.deepEqual(await store.migrate(), [2, 3]);
      const old = await store.getAlert('old-1');
      assert.equal(old?.fingerprint, 'legacy:old-1');
      assert.equal(old?.updated_at, '2026-01-01T00:00:00.000Z');
      assert.equal(old?.is_active, true);
      assert.equal((await store.getActiveAlerts(['a'])).length, 2);
      await store.deleteAgent('a', {
        id: 'e',
        type: 'agent_deregistered',
        agent_id: 'a',
        timestamp: '2026-01-01T00:02:00.000Z',
        data: {},
        severity: 'info',
        message: 'gone',
        source: 'test',
      });
      assert.equal(await store.getAlert('old-2'), null, 'the rebuilt table still cascades from agents');
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

describe('SQLite ingest writes', () => {
  /** Counts the write transactions SqliteDb runs while `fn` runs. */
  async function countingTransactions(fn: () => Promise<void>): Promise<number> {
    const original = SqliteDb.prototype.transaction;
    let count = 0;
    SqliteDb.prototype.transaction = function <T>(this: SqliteDb, body: () => T): T {
      count++;
      return original.call(this, body) as T;
    };
    try {
      await fn();
    } finally {
      SqliteDb.prototype.transaction = original;
    }
    return count;
  }

  const systemEvent = (message: string): SystemEvent => ({
    id: randomUUID(),
    type: 'agent_status_changed',
    agent_id: null,
    timestamp: '2026-01-01T00:00:00.000Z',
    data: {},
    severity: 'info',
    message,
    source: 'monitor_system',
  });

  it('the calls of one turn share one transaction, the calls of later turns each have their own', async () => {
    const { store, cleanup } = await openTemp();
    try {
      await store.migrate();
      const together = await countingTransactions(async () => {
        await Promise.all(['a', 'b', 'c', 'd'].map((m) => store.applyStates([], [systemEvent(m)])));
      });
      assert.equal(together, 1, 'four calls made in one turn');
      const apart = await countingTransactions(async () => {
        for (const m of ['e', 'f', 'g']) await store.applyStates([], [systemEvent(m)]);
      });
      assert.equal(apart, 3, 'each call awaited before the next');
      const messages = (await store.listEvents({ limit: 100 })).map((e) => e.message).sort();
      assert.deepEqual(messages, ['a', 'b', 'c', 'd', 'e', 'f', 'g'], 'every call was written once');
    } finally {
      await store.close();
      await cleanup();
    }
  });
});
