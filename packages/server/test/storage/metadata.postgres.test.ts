/**
 * The MetadataStore contract against PostgreSQL, plus a check that the schema is the seed's DDL.
 * Needs AGENTMON_TEST_DATABASE_URL; without it the suites are reported as skipped. Each store gets
 * a fresh schema, dropped afterwards.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { openPostgresPool } from '../../src/storage/postgres/pool.js';
import { PostgresMetadataStore } from '../../src/storage/postgres/metadata.js';
import { POSTGRES_METADATA_MIGRATIONS } from '../../src/storage/postgres/metadata-migrations.js';
import { metadataContract } from './contract/metadata-contract.js';
import { METADATA_INDEXES } from './contract/seed-schema.js';

const url = process.env.AGENTMON_TEST_DATABASE_URL;
const SKIP = 'AGENTMON_TEST_DATABASE_URL is not set';

/**
 * A pool confined to a new schema `t_meta_<hex>`; cleanup drops the schema, then ends the pool. A
 * client still checked out once the stores are closed (a lock never freed) fails cleanup by name
 * rather than leaving pool.end() waiting for it forever.
 */
async function openSchema(connectionString: string): Promise<{ pool: Pool; schema: string; cleanup: () => Promise<void> }> {
  const schema = `t_meta_${randomBytes(6).toString('hex')}`;
  const pool = await openPostgresPool({ connectionString, schema });
  const cleanup = async (): Promise<void> => {
    const checkedOut = pool.totalCount - pool.idleCount;
    try {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    } finally {
      if (checkedOut === 0) await pool.end();
      else void pool.end();
    }
    if (checkedOut > 0) throw new Error(`${checkedOut} client(s) still checked out after the store closed`);
  };
  return { pool, schema, cleanup };
}

if (url === undefined || url === '') {
  // Skipped tests inside a running suite: node 20 counts these as skipped (a skipped suite counts as nothing).
  describe('MetadataStore contract: postgres', () => {
    it('runs the contract against PostgreSQL', { skip: SKIP }, () => undefined);
  });
  describe('PostgreSQL metadata schema', () => {
    it('is the seed DDL plus agentmon tables', { skip: SKIP }, () => undefined);
  });
  describe('PostgreSQL metadata locks', () => {
    it('are shared by the stores on one schema', { skip: SKIP }, () => undefined);
  });
  describe('PostgreSQL metadata maintenance', () => {
    it('vacuums the rewritten tables when autovacuum is off', { skip: SKIP }, () => undefined);
  });
} else {
  metadataContract('postgres', async () => {
    const { pool, cleanup } = await openSchema(url);
    return { store: new PostgresMetadataStore({ pool }), cleanup };
  });

  describe('PostgreSQL metadata schema', () => {
    it('is the seed DDL plus agentmon tables', async () => {
      const { pool, schema, cleanup } = await openSchema(url);
      const store = new PostgresMetadataStore({ pool });
      try {
        const applied = await store.migrate();

        const columns = await pool.query<{ table_name: string; column_name: string; type: string; column_default: string | null; is_nullable: string }>(
          `SELECT table_name, column_name, is_nullable, column_default,
                  CASE WHEN data_type = 'character varying' THEN 'varchar(' || character_maximum_length || ')'
                       WHEN data_type = 'ARRAY' THEN udt_name ELSE data_type END AS type
           FROM information_schema.columns WHERE table_schema = $1`,
          [schema],
        );
        const column = (table: string, name: string) => columns.rows.find((c) => c.table_name === table && c.column_name === name);
        const expectType = (table: string, name: string, type: string, nullable = 'YES'): void => {
          const c = column(table, name);
          assert.ok(c, `missing ${table}.${name}`);
          assert.equal(c.type, type, `${table}.${name}`);
          assert.equal(c.is_nullable, nullable, `${table}.${name} nullability`);
        };
        expectType('agents', 'id', 'varchar(255)', 'NO');
        expectType('agents', 'type', 'varchar(50)', 'NO');
        expectType('agents', 'version', 'varchar(100)', 'NO');
        expectType('agents', 'port', 'integer');
        expectType('agents', 'config', 'jsonb');
        expectType('agents', 'tags', '_text');
        expectType('agents', 'registered_at', 'timestamp with time zone');
        expectType('agents', 'status', 'varchar(50)');
        expectType('monitoring_configs', 'enable_ai_monitoring', 'boolean');
        expectType('monitoring_configs', 'thresholds', 'jsonb');
        expectType('alerts', 'title', 'varchar(500)', 'NO');
        expectType('alerts', 'threshold', 'double precision');
        expectType('alerts', 'fingerprint', 'text', 'NO');
        expectType('alerts', 'acknowledged_at', 'timestamp with time zone');
        expectType('alerts', 'acknowledged_by', 'text');
        expectType('alerts', 'ack_comment', 'text');
        expectType('alerts', 'updated_at', 'timestamp with time zone', 'NO');
        expectType('alerts', 'last_notified_at', 'timestamp with time zone');
        expectType('alerts', 'is_active', 'boolean');
        expectType('notification_targets', 'kind', 'varchar(20)', 'NO');
        expectType('notification_targets', 'enabled', 'boolean', 'NO');
        expectType('notification_targets', 'created_at', 'timestamp with time zone', 'NO');
        expectType('system_events', 'type', 'varchar(100)', 'NO');
        expectType('system_events', 'data', 'jsonb');
        expectType('agent_state', 'snapshot', 'jsonb', 'NO');
        expectType('health_checks', 'status', 'boolean', 'NO');
        expectType('settings', 'value', 'jsonb', 'NO');
        assert.equal(column('agents', 'status')?.column_default, "'unknown'::character varying");
        assert.equal(column('system_events', 'source')?.column_default, "'monitor_system'::character varying");
        assert.equal(column('monitoring_configs', 'metrics_interval_seconds')?.column_default, '60');

        const indexes = await pool.query<{ indexname: string; indexdef: string }>(
          'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1',
          [schema],
        );
        const names = indexes.rows.map((r) => r.indexname);
        for (const seed of METADATA_INDEXES) {
          assert.ok(names.includes(seed), `missing index ${seed}`);
        }
        const unique = indexes.rows.find((r) => r.indexname === 'uq_alerts_active_fingerprint')?.indexdef ?? '';
        assert.match(unique, /^CREATE UNIQUE INDEX .* \(fingerprint\) WHERE is_active$/);

        const rules = await pool.query<{ table_name: string; delete_rule: string }>(
          `SELECT tc.table_name, rc.delete_rule
           FROM information_schema.referential_constraints rc
           JOIN information_schema.table_constraints tc
             ON tc.constraint_name = rc.constraint_name AND tc.constraint_schema = rc.constraint_schema
           WHERE rc.constraint_schema = $1 ORDER BY tc.table_name`,
          [schema],
        );
        assert.deepEqual(
          rules.rows.map((r) => `${r.table_name}:${r.delete_rule}`),
          [
            'agent_credentials:CASCADE',
            'agent_state:CASCADE',
            'alerts:CASCADE',
            'health_checks:CASCADE',
            'monitoring_configs:CASCADE',
            'system_events:SET NULL',
          ],
        );

        const recorded = await pool.query<{ version: number }>(
          "SELECT version FROM agentmon_migrations WHERE component = 'metadata' ORDER BY version",
        );
        assert.deepEqual(
          recorded.rows.map((r) => r.version),
          applied,
        );
      } finally {
        await store.close();
        await cleanup();
      }
    });

    it('adopts seed alerts, giving each a fingerprint of its own', async () => {
      const { pool, cleanup } = await openSchema(url);
      const store = new PostgresMetadataStore({ pool });
      try {
        // A database made with the seed's DDL by another tool: no agentmon_migrations yet.
        await pool.query(POSTGRES_METADATA_MIGRATIONS[0]?.up ?? '');
        await pool.query(`
          INSERT INTO agents (id, name, type, version, deployment_type, host, environment) VALUES ('a', 'a', 'llm_agent', '1', 'docker', 'h', 'prod');
          INSERT INTO alerts (id, agent_id, severity, title, message, created_at, resolved_at, is_active)
          VALUES ('old-1', 'a', 'warning', 't', 'm', '2026-01-01T00:00:00Z', NULL, TRUE),
                 ('old-2', 'a', 'warning', 't', 'm', '2026-01-01T00:01:00Z', '2026-01-01T00:05:00Z', FALSE)`);
        assert.ok((await store.migrate()).includes(2));
        const old = await store.getAlert('old-1');
        assert.equal(old?.fingerprint, 'legacy:old-1');
        assert.equal(old?.updated_at, '2026-01-01T00:00:00.000Z');
        assert.equal((await store.getAlert('old-2'))?.updated_at, '2026-01-01T00:05:00.000Z');
        assert.deepEqual(
          (await store.getActiveAlerts(null)).map((x) => x.id),
          ['old-1'],
        );
      } finally {
        await store.close();
        await cleanup();
      }
    });

    it('leaves the pool it was given open', async () => {
      const { pool, cleanup } = await openSchema(url);
      try {
        const store = new PostgresMetadataStore({ pool });
        await store.close();
        const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
        assert.equal(rows[0]?.one, 1);
      } finally {
        await cleanup();
      }
    });
  });

  describe('PostgreSQL metadata locks', () => {
    it('are shared by the stores on one schema, through one pool or two', async () => {
      const { pool, schema, cleanup } = await openSchema(url);
      const second = await openPostgresPool({ connectionString: url, schema });
      const a = new PostgresMetadataStore({ pool });
      const b = new PostgresMetadataStore({ pool: second });
      const c = new PostgresMetadataStore({ pool });
      try {
        await a.migrate();
        const release = await a.tryLock('retention');
        assert.ok(release);
        assert.equal(await b.tryLock('retention'), null, 'another pool on the schema');
        assert.equal(await c.tryLock('retention'), null, 'another store on the same pool');
        await release();
        await release();
        const taken = await b.tryLock('retention');
        assert.ok(taken, 'free once released');
        assert.equal(await a.tryLock('retention'), null);
        await b.close();
        assert.ok(await c.tryLock('retention'), 'closing a store frees its locks');
        assert.equal(pool.totalCount - pool.idleCount, 1, 'only the held lock keeps a client');
      } finally {
        await Promise.all([a.close(), b.close(), c.close()]);
        await second.end();
        await cleanup();
      }
    });

    it('are apart for stores on different schemas', async () => {
      const one = await openSchema(url);
      const two = await openSchema(url);
      const a = new PostgresMetadataStore({ pool: one.pool });
      const b = new PostgresMetadataStore({ pool: two.pool });
      try {
        assert.ok(await a.tryLock('retention'));
        assert.ok(await b.tryLock('retention'));
      } finally {
        await Promise.all([a.close(), b.close()]);
        await one.cleanup();
        await two.cleanup();
      }
    });
  });

  describe('PostgreSQL metadata maintenance', () => {
    it('vacuums the rewritten tables when autovacuum is off, and leaves them to autovacuum otherwise', async () => {
      const { pool, schema, cleanup } = await openSchema(url);
      const store = new PostgresMetadataStore({ pool });
      try {
        await store.migrate();
        const fill = await pool.query<{ options: string[] | null }>(
          `SELECT c.reloptions AS options FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'agent_state'`,
          [schema],
        );
        assert.deepEqual(fill.rows[0]?.options, ['fillfactor=50'], 'room on agent_state pages for in-place updates');
        const on = (await pool.query<{ on: boolean }>(`SELECT current_setting('autovacuum') = 'on' AS on`)).rows[0]?.on;
        const done = await store.maintain();
        if (on) {
          assert.deepEqual(done, []);
          return;
        }
        assert.equal(done.length, 1);
        assert.match(done[0] ?? '', /^vacuumed agents, agent_state, alerts, health_checks, monitoring_configs \(autovacuum is off\)$/);
        // The statistics say so (they reach other sessions within a moment).
        let vacuumed = 0;
        for (let i = 0; i < 50 && vacuumed === 0; i++) {
          const r = await pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'agent_state' AND vacuum_count > 0`,
            [schema],
          );
          vacuumed = Number(r.rows[0]?.n ?? 0);
          if (vacuumed === 0) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(vacuumed, 1, 'agent_state was vacuumed');
      } finally {
        await store.close();
        await cleanup();
      }
    });
  });
}
