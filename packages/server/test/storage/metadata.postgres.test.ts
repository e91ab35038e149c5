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
import { metadataContract } from './metadata-contract.js';

const url = process.env.AGENTMON_TEST_DATABASE_URL;
const SKIP = 'AGENTMON_TEST_DATABASE_URL is not set';

/** A pool confined to a new schema `t_meta_<hex>`; cleanup drops the schema, then ends the pool. */
async function openSchema(connectionString: string): Promise<{ pool: Pool; schema: string; cleanup: () => Promise<void> }> {
  const schema = `t_meta_${randomBytes(6).toString('hex')}`;
  const pool = await openPostgresPool({ connectionString, schema });
  const cleanup = async (): Promise<void> => {
    try {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    } finally {
      await pool.end();
    }
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
        expectType('alerts', 'fingerprint', 'text');
        expectType('system_events', 'type', 'varchar(100)', 'NO');
        expectType('system_events', 'data', 'jsonb');
        expectType('agent_state', 'snapshot', 'jsonb', 'NO');
        expectType('health_checks', 'status', 'boolean', 'NO');
        expectType('settings', 'value', 'jsonb', 'NO');
        assert.equal(column('agents', 'status')?.column_default, "'unknown'::character varying");
        assert.equal(column('system_events', 'source')?.column_default, "'monitor_system'::character varying");
        assert.equal(column('monitoring_configs', 'metrics_interval_seconds')?.column_default, '60');

        const indexes = await pool.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [schema]);
        const names = indexes.rows.map((r) => r.indexname);
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
          assert.ok(names.includes(seed), `missing index ${seed}`);
        }

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
}
