/**
 * PostgreSQL: agents as people and registration see them (AgentStore). Registration and edits
 * write the agent, its config, state, key and events in one transaction, passing its client to the
 * config and event modules' functions.
 */
import type { SystemEvent } from '@agentmon/schema';
import type { Pool } from 'pg';
import type { AgentCounts, AgentFilter, AgentListRow, AgentPatch, AgentRecord, AgentStore, RegistrationResult, RegistrationWrite } from '../ports.js';
import { countsFromRows } from '../sql/agent-counts.js';
import {
  AGENT_COLUMN_NAMES,
  agentPatchAssignments,
  agentValues,
  REREGISTERED_COLUMN_NAMES,
  registrationSql,
  type AgentColumnKind,
} from '../sql/agent-columns.js';
import { registrationTarget } from '../sql/registration.js';
import { agentConditions, agentOrder, SELECT_AGENT, whereClause, type AgentRow } from '../sql/rows.js';
import { bindTo, encodeTags, read, rows, type PostgresColumns, type Queryable } from './db.js';
import { inTransaction } from './pool.js';
import { addDefaultConfig, getConfig } from './configs.js';
import { insertEvents } from './events.js';

/** How a value of each kind is cast where PostgreSQL cannot tell its type from the parameter. */
const CAST: Record<AgentColumnKind, string> = { text: '', integer: '::int', json: '::jsonb', tags: '::text[]', time: '::timestamptz' };

const REGISTRATION = registrationSql((_, position, kind) => `$${position}${CAST[kind]}`, 'NOW()');

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
      const target = await registrationTarget(write, {
        hasId: async (id) => (await rows(client, 'SELECT 1 FROM agents WHERE id = $1', [id])).length > 0,
        findByIdentity: (name, environment, host) => findByIdentity(client, name, environment, host),
      });
      if (target.outcome === 'conflict') return target;

      const { id } = target;
      const values = agentValues({ ...agent, id }, encodeTags);
      if (target.outcome === 'known') await client.query(REGISTRATION.update, REREGISTERED_COLUMN_NAMES.map((c) => values[c]));
      else await client.query(REGISTRATION.insert, AGENT_COLUMN_NAMES.map((c) => values[c]));
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
      return { outcome: target.outcome === 'known' ? 'updated' : 'created', agent: stored, config };
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
    const bind = bindTo(params);
    const sets = agentPatchAssignments(patch, (value, kind) => `${bind(value)}${CAST[kind]}`, encodeTags);
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
