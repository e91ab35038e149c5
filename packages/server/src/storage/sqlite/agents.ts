/**
 * SQLite: agents as people and registration see them (AgentStore). Registration and edits write
 * the agent, its config, state, key and events in one transaction, through the config and event
 * modules' `...Now` methods.
 */
import type { SystemEvent } from '@agentmon/schema';
import type { AgentCounts, AgentFilter, AgentListRow, AgentPatch, AgentRecord, AgentStore, RegistrationResult, RegistrationWrite } from '../ports.js';
import { countsFromRows } from '../sql/agent-counts.js';
import { agentPatchAssignments, agentValues, registrationSql } from '../sql/agent-columns.js';
import { registrationTarget } from '../sql/registration.js';
import { agentConditions, agentOrder, SELECT_AGENT, whereClause, type AgentRow } from '../sql/rows.js';
import { bindTo, encodeTags, nowIso, read, type SqliteColumns, type SqliteDb } from './db.js';
import type { SqliteConfigs } from './configs.js';
import type { SqliteEvents } from './events.js';

const REGISTRATION = registrationSql((column) => `@${column}`, '@now');

export class SqliteAgents implements AgentStore {
  constructor(
    private readonly db: SqliteDb,
    private readonly configs: SqliteConfigs,
    private readonly events: SqliteEvents,
  ) {}

  async registerAgent(write: RegistrationWrite): Promise<RegistrationResult> {
    return this.db.transaction(() => {
      const target = registrationTarget(write, {
        hasId: (id) => this.db.statement('SELECT 1 FROM agents WHERE id = ?').get(id) !== undefined,
        findByIdentity: (name, environment, host) => this.findByIdentity(name, environment, host),
      });
      if (target.outcome === 'conflict') return target;

      const { id } = target;
      const now = nowIso();
      const params = { ...agentValues({ ...write.agent, id }, encodeTags), now };
      this.db.statement(target.outcome === 'known' ? REGISTRATION.update : REGISTRATION.insert).run(params);
      // A known agent keeps its config and state; these only fill in rows that are missing.
      this.configs.addDefaultNow({ ...write.defaultConfig, agent_id: id }, now);
      this.db
        .statement(
          `INSERT INTO agent_state (agent_id, health_score, status_reason, snapshot) VALUES (?, 0, 'no_data', '{}')
           ON CONFLICT (agent_id) DO NOTHING`,
        )
        .run(id);
      this.db
        .statement(
          `INSERT INTO agent_credentials (agent_id, key_hash, created_at) VALUES (?, ?, ?)
           ON CONFLICT (agent_id) DO UPDATE SET key_hash = excluded.key_hash, created_at = excluded.created_at`,
        )
        .run(id, typeof write.keyHash === 'function' ? write.keyHash(id) : write.keyHash, now);
      this.events.insertNow([{ ...write.event, agent_id: id }]);

      const stored = this.getNow(id);
      const config = this.configs.getNow(id);
      if (stored === null || config === null) throw new Error(`registration of ${id} did not store the agent`);
      return { outcome: target.outcome === 'known' ? 'updated' : 'created', agent: stored, config };
    });
  }

  /** The oldest agent with this identity (ids are not unique per identity once an agent is renamed). */
  private findByIdentity(name: string, environment: string, host: string): string | undefined {
    const row = this.db
      .statement(`SELECT id FROM agents WHERE name = ? AND environment = ? AND host = ? ORDER BY registered_at, id LIMIT 1`)
      .get(name, environment, host) as { id: string } | undefined;
    return row?.id;
  }

  async findAgentId(name: string, environment: string, host: string): Promise<string | null> {
    return this.findByIdentity(name, environment, host) ?? null;
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    return this.getNow(id);
  }

  private getNow(id: string): AgentRecord | null {
    const row = this.db.statement(`${SELECT_AGENT} WHERE a.id = ?`).get(id) as AgentRow<SqliteColumns> | undefined;
    return row === undefined ? null : read.agent(row);
  }

  async countAgents(): Promise<AgentCounts> {
    const rows = this.db
      .statement(
        `SELECT 'status' AS dim, status AS key, COUNT(*) AS n FROM agents GROUP BY status
         UNION ALL SELECT 'type', type, COUNT(*) FROM agents GROUP BY type
         UNION ALL SELECT 'environment', environment, COUNT(*) FROM agents GROUP BY environment`,
      )
      .all() as { dim: string; key: string; n: number }[];
    return countsFromRows(rows);
  }

  async listAgents(filter: AgentFilter): Promise<{ items: AgentListRow[]; total: number }> {
    const params: unknown[] = [];
    const clause = whereClause(
      agentConditions(filter, bindTo(params), {
        hasTag: (tag) => `EXISTS (SELECT 1 FROM json_each(a.tags) t WHERE t.value = ${tag})`,
        // SQLite's LIKE ignores ASCII case by default.
        nameLike: (pattern) => `a.name LIKE ${pattern} ESCAPE '\\'`,
      }),
    );
    const order = agentOrder(filter);
    return this.db.snapshot(() => {
      const rows = this.db.statement(`${SELECT_AGENT} ${clause} ORDER BY ${order} LIMIT ? OFFSET ?`).all(
        ...params,
        filter.limit,
        filter.offset,
      ) as AgentRow<SqliteColumns>[];
      const count = this.db.statement(`SELECT COUNT(*) AS n FROM agents a ${clause}`).get(...params) as { n: number };
      return { items: rows.map(read.listRow), total: count.n };
    });
  }

  async updateAgent(id: string, patch: AgentPatch, events: SystemEvent[]): Promise<AgentRecord | null> {
    const params: unknown[] = [];
    const sets = agentPatchAssignments(patch, bindTo(params), encodeTags);
    sets.push('updated_at = ?');
    params.push(nowIso(), id);

    return this.db.transaction(() => {
      const result = this.db.statement(`UPDATE agents SET ${sets.join(', ')} WHERE id = ?`).run(...params);
      if (result.changes === 0) return null;
      if (patch.status_reason !== undefined) {
        this.db
          .statement(
            `INSERT INTO agent_state (agent_id, status_reason) VALUES (?, ?)
             ON CONFLICT (agent_id) DO UPDATE SET status_reason = excluded.status_reason`,
          )
          .run(id, patch.status_reason);
      }
      this.events.insertNow(events);
      return this.getNow(id);
    });
  }

  async deleteAgent(id: string, event: SystemEvent): Promise<boolean> {
    return this.db.transaction(() => {
      const result = this.db.statement('DELETE FROM agents WHERE id = ?').run(id);
      if (result.changes === 0) return false;
      // The agent is gone, so its event cannot reference it (ON DELETE SET NULL would null it anyway).
      this.events.insertNow([{ ...event, agent_id: null }]);
      return true;
    });
  }
}
