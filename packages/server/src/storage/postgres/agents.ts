/**
 * PostgreSQL: agents as people and registration see them (AgentStore). Registration and edits
 * write the agent, its config, state, key and events in one transaction, passing its client to the
 * config and event modules' functions.
 */
import { toUtcIso } from '@agentmon/schema';
import type { SystemEvent } from '@agentmon/schema';
import type { Pool } from 'pg';
import type { AgentCounts, AgentFilter, AgentListRow, AgentPatch, AgentRecord, AgentStore, RegistrationResult, RegistrationWrite } from '../ports.js';
import { countsFromRows } from '../sql/agent-counts.js';
import { agentConditions, agentOrder, SELECT_AGENT, whereClause, type AgentRow } from '../sql/rows.js';
import { bindTo, read, rows, type PostgresColumns, type Queryable } from './db.js';
import { inTransaction } from './pool.js';
import { addDefaultConfig, getConfig } from './configs.js';
import { insertEvents } from './events.js';

/** How each patchable agents column is bound: its cast and its encoding. status_reason lives in agent_state. */
const PATCH_COLUMNS: ReadonlyArray<[keyof AgentPatch & string, string, (value: unknown) => unknown]> = [
  ['name', '', (v) => v],
  ['version', '', (v) => v],
  ['description', '', (v) => v],
  ['port', '::int', (v) => v],
  ['config', '::jsonb', (v) => JSON.stringify(v)],
  ['tags', '::text[]', (v) => v],
  ['metadata', '::jsonb', (v) => JSON.stringify(v)],
  ['status', '', (v) => v],
];

export class PostgresAgents implements AgentStore {
  constructor(private readonly pool: Pool) {}

  async registerAgent(write: RegistrationWrite): Promise<RegistrationResult> {
    const { agent } = write;
    return inTransaction(this.pool, async (client) => {
      // Two first registrations of one id or one identity racing each other must make one agent.
      // Locks are taken id first, identity second, so two registrations cannot wait on each other.
      if (write.idGiven) await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`agentmon:agent-id:${agent.id}`]);
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `agentmon:agent-identity:${JSON.stringify([agent.name, agent.environment, agent.host])}`,
      ]);
      let existingId: string | undefined;
      if (write.idGiven) {
        const byId = await rows(client, 'SELECT 1 FROM agents WHERE id = $1', [agent.id]);
        if (byId.length > 0) existingId = agent.id;
        else {
          const other = await findByIdentity(client, agent.name, agent.environment, agent.host);
          if (other !== undefined) return { outcome: 'conflict', existingId: other };
        }
      } else {
        existingId = await findByIdentity(client, agent.name, agent.environment, agent.host);
      }

      const id = existingId ?? agent.id;
      const described = [
        id,
        agent.name,
        agent.type,
        agent.version,
        agent.description,
        agent.deployment_type,
        agent.host,
        agent.port,
        agent.environment,
        JSON.stringify(agent.config),
        agent.tags,
        JSON.stringify(agent.metadata),
      ];
      if (existingId !== undefined) {
        await client.query(
          `UPDATE agents SET name = $2, type = $3, version = $4, description = $5, deployment_type = $6, host = $7,
             port = $8, environment = $9, config = $10::jsonb, tags = $11::text[], metadata = $12::jsonb, updated_at = NOW()
           WHERE id = $1`,
          described,
        );
      } else {
        await client.query(
          `INSERT INTO agents (id, name, type, version, description, deployment_type, host, port, environment,
             config, tags, metadata, registered_at, last_seen, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::text[], $12::jsonb, $13, $14, $15)`,
          [...described, toUtcIso(agent.registered_at), toUtcIso(agent.last_seen), agent.status],
        );
      }
      // A known agent keeps its config and state; these only fill in rows that are missing.
      await addDefaultConfig(client, { ...write.defaultConfig, agent_id: id });
      await client.query(
        `INSERT INTO agent_state (agent_id, health_score, status_reason, snapshot) VALUES ($1, 0, 'no_data', '{}')
         ON CONFLICT (agent_id) DO NOTHING`,
        [id],
      );
      await client.query(
        `INSERT INTO agent_credentials (agent_id, key_hash) VALUES ($1, $2)
         ON CONFLICT (agent_id) DO UPDATE SET key_hash = EXCLUDED.key_hash, created_at = NOW()`,
        [id, typeof write.keyHash === 'function' ? write.keyHash(id) : write.keyHash],
      );
      await insertEvents(client, [{ ...write.event, agent_id: id }]);

      const stored = await getAgent(client, id);
      const config = await getConfig(client, id);
      if (stored === null || config === null) throw new Error(`registration of ${id} did not store the agent`);
      return { outcome: existingId !== undefined ? 'updated' : 'created', agent: stored, config };
    });
  }

  async findAgentId(name: string, environment: string, host: string): Promise<string | null> {
    return (await findByIdentity(this.pool, name, environment, host)) ?? null;
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    return getAgent(this.pool, id);
  }

  async countAgents(): Promise<AgentCounts> {
    const result = await this.pool.query<{ dim: string; key: string; n: number }>(
      `SELECT 'status' AS dim, status AS key, COUNT(*)::int AS n FROM agents GROUP BY status
       UNION ALL SELECT 'type', type, COUNT(*)::int FROM agents GROUP BY type
       UNION ALL SELECT 'environment', environment, COUNT(*)::int FROM agents GROUP BY environment`,
    );
    return countsFromRows(result.rows);
  }

  async listAgents(filter: AgentFilter): Promise<{ items: AgentListRow[]; total: number }> {
    const params: unknown[] = [];
    const bind = bindTo(params);
    const clause = whereClause(
      agentConditions(filter, bind, {
        hasTag: (tag) => `${tag} = ANY(a.tags)`,
        nameLike: (pattern) => `a.name ILIKE ${pattern} ESCAPE '\\'`,
      }),
    );
    const order = agentOrder(filter);
    const filterParams = [...params];
    const page = `LIMIT ${bind(filter.limit)} OFFSET ${bind(filter.offset)}`;

    const [items, count] = await Promise.all([
      rows<AgentRow<PostgresColumns>>(this.pool, `${SELECT_AGENT} ${clause} ORDER BY ${order} ${page}`, params),
      rows<{ n: number }>(this.pool, `SELECT COUNT(*)::int AS n FROM agents a ${clause}`, filterParams),
    ]);
    return { items: items.map(read.listRow), total: count[0]?.n ?? 0 };
  }

  async updateAgent(id: string, patch: AgentPatch, events: SystemEvent[]): Promise<AgentRecord | null> {
    const params: unknown[] = [id];
    const sets: string[] = [];
    for (const [column, cast, encode] of PATCH_COLUMNS) {
      const value = patch[column];
      if (value === undefined) continue;
      sets.push(`${column} = $${params.push(encode(value))}${cast}`);
    }
    sets.push('updated_at = NOW()');

    return inTransaction(this.pool, async (client) => {
      const result = await client.query(`UPDATE agents SET ${sets.join(', ')} WHERE id = $1`, params);
      if (result.rowCount === 0) return null;
      if (patch.status_reason !== undefined) {
        await client.query(
          `INSERT INTO agent_state (agent_id, status_reason) VALUES ($1, $2)
           ON CONFLICT (agent_id) DO UPDATE SET status_reason = EXCLUDED.status_reason`,
          [id, patch.status_reason],
        );
      }
      await insertEvents(client, events);
      return getAgent(client, id);
    });
  }

  async deleteAgent(id: string, event: SystemEvent): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const result = await client.query('DELETE FROM agents WHERE id = $1', [id]);
      if (result.rowCount === 0) return false;
      // The agent is gone, so its event cannot reference it (ON DELETE SET NULL would null it anyway).
      await insertEvents(client, [{ ...event, agent_id: null }]);
      return true;
    });
  }
}

/** The oldest agent with this identity (ids are not unique per identity once an agent is renamed). */
async function findByIdentity(db: Queryable, name: string, environment: string, host: string): Promise<string | undefined> {
  const found = await rows<{ id: string }>(
    db,
    'SELECT id FROM agents WHERE name = $1 AND environment = $2 AND host = $3 ORDER BY registered_at, id LIMIT 1',
    [name, environment, host],
  );
  return found[0]?.id;
}

async function getAgent(db: Queryable, id: string): Promise<AgentRecord | null> {
  const [row] = await rows<AgentRow<PostgresColumns>>(db, `${SELECT_AGENT} WHERE a.id = $1`, [id]);
  return row === undefined ? null : read.agent(row);
}
