/**
 * The agents' use cases: register, update, deregister. Each owns its rule, the events it raises and
 * what it publishes on the live stream; routes/agents.ts is the contract and one call of these.
 */
import { randomUUID } from 'node:crypto';
import {
  defaultMonitoringConfig,
  toUtcIso,
  type AgentDetail,
  type AgentInfo,
  type AgentUpdate,
  type MonitoringConfig,
} from '@agentmon/schema';
import { hashToken, newAgentKey, tokenMatches } from '../auth.js';
import { AppError, agentNotFound, badRequest } from '../errors.js';
import { lastDataAtMs, newEvent, readSnapshot } from '../engine/ingest.js';
import { offlineAfterMs } from '../engine/status.js';
import type { Monitor } from '../services/monitor.js';
import type { LiveBus } from '../live/bus.js';
import type { AgentPatch, AgentRecord, AgentStore, IngestStore, SeriesStore } from '../storage/ports.js';

/** The header in which a re-registration shows the agent's current api_key. */
export const AGENT_KEY_HEADER = 'x-agent-key';

/** AgentInfo as a registration sends it: what the schema lets a client leave out may be absent. */
export type RegistrationInput = Pick<AgentInfo, 'name' | 'type' | 'version' | 'deployment_type' | 'host' | 'environment'> &
  Partial<Pick<AgentInfo, 'id' | 'description' | 'port' | 'config' | 'tags' | 'last_seen' | 'status' | 'metadata'>>;

/** Who registers: the admin token may do anything; the registration token creates agents and re-registers its own. */
export interface Registrant {
  /** The caller holds the registration token (not the admin token): it may not take an agent over. */
  registrationToken: boolean;
  /** The api_key shown in X-Agent-Key, if any. */
  shownKey?: string | undefined;
}

/** What a registration did. */
export interface Registration {
  created: boolean;
  agent: AgentRecord;
  config: MonitoringConfig;
  /** The new api_key, shown once. */
  apiKey: string;
}

/** What the agents' use cases need. */
export interface AgentServiceDeps {
  /** The agents, and their ingest contexts (the key and last report a re-registration is judged by). */
  metadata: AgentStore & IngestStore;
  series: SeriesStore;
  monitor: Monitor;
  live: LiveBus;
  clock: () => number;
  /** An agent silent for offlineFactor x its longest interval is offline (config.offlineFactor). */
  offlineFactor: number;
}

/** AgentDetail of a stored agent. */
export function agentDetail(agent: AgentRecord): AgentDetail {
  const { state, ...info } = agent;
  const snapshot = readSnapshot(state);
  return {
    ...info,
    health_score: state.health_score,
    status_reason: state.status_reason,
    health_components: snapshot.components,
    custom_metric_names: snapshot.custom_names,
  };
}

/** Registration, updates and deregistration of agents. */
export class AgentService {
  constructor(private readonly deps: AgentServiceDeps) {}

  /**
   * Registers an agent, or registers a known one again (same id, or same name+environment+host)
   * with a new api_key that revokes the old one. The registration token may not take an agent over:
   * see refuseTakeover.
   */
  async register(input: RegistrationInput, by: Registrant): Promise<Registration> {
    const { metadata, clock } = this.deps;
    const nowIso = new Date(clock()).toISOString();
    const idGiven = input.id !== undefined;
    const agent: AgentInfo = {
      id: input.id ?? randomUUID(),
      name: input.name,
      type: input.type,
      version: input.version,
      description: input.description ?? null,
      deployment_type: input.deployment_type,
      host: input.host,
      port: input.port ?? null,
      environment: input.environment,
      config: input.config ?? {},
      tags: [...new Set(input.tags ?? [])],
      registered_at: nowIso,
      last_seen: input.last_seen ? toUtcIso(input.last_seen) : nowIso,
      // Status is derived by agentmon; only maintenance is a person's word.
      status: input.status === 'maintenance' ? 'maintenance' : 'unknown',
      metadata: input.metadata ?? {},
    };
    if (by.registrationToken) await this.refuseTakeover(agent, idGiven, by.shownKey);
    let apiKey = '';
    const registered = newEvent('agent_registered', `agent ${agent.name} registered`, {
      agent_id: agent.id,
      nowMs: clock(),
      data: { name: agent.name, type: agent.type, version: agent.version, environment: agent.environment, host: agent.host },
    });
    const result = await metadata.registerAgent({
      agent,
      idGiven,
      keyHash: (finalId) => {
        apiKey = newAgentKey(finalId);
        return hashToken(apiKey);
      },
      defaultConfig: defaultMonitoringConfig(agent.id),
      event: registered,
    });
    if (result.outcome === 'conflict') {
      throw new AppError(
        'AGENT_CONFLICT',
        `an agent named ${JSON.stringify(agent.name)} on ${agent.host} in ${agent.environment} is already registered as ${result.existingId}`,
        [{ path: '/body/id', message: `name+environment+host belong to agent ${result.existingId}` }],
      );
    }
    this.deps.live.publish('system_event', { ...registered, agent_id: result.agent.id });
    return { created: result.outcome === 'created', agent: result.agent, config: result.config, apiKey };
  }

  /**
   * Changes what a person may change (tags, description, metadata, ...) and sets or ends
   * maintenance; status is otherwise derived, so any other status than the current one is refused.
   */
  async update(id: string, update: AgentUpdate): Promise<AgentRecord> {
    const { metadata, monitor } = this.deps;
    const current = await metadata.getAgent(id);
    if (!current) throw agentNotFound(id);
    const { status, tags, ...rest } = update;
    if (status !== undefined && status !== 'maintenance' && current.status !== 'maintenance' && status !== current.status) {
      throw badRequest('status is derived by agentmon; only "maintenance" can be set (and any other value ends it)', [
        { path: '/body/status', message: 'only maintenance can be set' },
      ]);
    }
    const patch: AgentPatch = { ...rest, ...(tags ? { tags: [...new Set(tags)] } : {}) };
    if (Object.keys(patch).length > 0 && !(await metadata.updateAgent(id, patch, []))) throw agentNotFound(id);
    if (status !== undefined) await monitor.setMaintenance(id, status === 'maintenance');
    const updated = await metadata.getAgent(id);
    if (!updated) throw agentNotFound(id);
    return updated;
  }

  /** Deregisters an agent; its metrics stay until retention unless `purge`. */
  async deregister(id: string, purge: boolean): Promise<void> {
    const { metadata, series, clock } = this.deps;
    const agent = await metadata.getAgent(id);
    if (!agent) throw agentNotFound(id);
    const deregistered = newEvent('agent_deregistered', `agent ${agent.name} deregistered`, {
      // system_events.agent_id is SET NULL when the agent goes; the id lives on in data.
      agent_id: null,
      nowMs: clock(),
      data: { agent_id: id, name: agent.name, environment: agent.environment, purged: purge },
    });
    if (!(await metadata.deleteAgent(id, deregistered))) throw agentNotFound(id);
    this.deps.live.publish('system_event', deregistered);
    if (purge) await series.deleteAgent(id);
  }

  /**
   * The registration token creates agents and lets one that restarted register again under its
   * name+environment+host, but it may not take over an agent in use, since re-registering revokes
   * the agent's key. An existing agent is re-registered by the registration token only when the
   * caller shows the agent's current key (X-Agent-Key, as an SDK that kept it does), or when the
   * agent has been silent past its offline threshold (the process that held the key is gone), and
   * never under a given id that belongs to another name+environment+host. The admin token may.
   */
  private async refuseTakeover(agent: AgentInfo, idGiven: boolean, shownKey: string | undefined): Promise<void> {
    const { metadata, clock } = this.deps;
    const existingId = idGiven ? agent.id : await metadata.findAgentId(agent.name, agent.environment, agent.host);
    if (existingId === null) return;
    const existing = (await metadata.getIngestContexts([existingId])).get(existingId);
    if (!existing) return;
    if (shownKey !== undefined && existing.keyHash !== null && tokenMatches(shownKey, existing.keyHash)) return;
    const record = idGiven ? await metadata.getAgent(existingId) : null;
    if (record && (record.name !== agent.name || record.environment !== agent.environment || record.host !== agent.host)) {
      throw new AppError(
        'AGENT_EXISTS',
        `agent ${JSON.stringify(agent.id)} is already registered as another name+environment+host; the registration token may not take it over (its api_key would be revoked): register without an id, or use the admin token`,
        [{ path: '/body/id', message: 'belongs to an existing agent with another name+environment+host' }],
      );
    }
    // An agent that never reported has no process known to hold its key.
    const lastData = lastDataAtMs(existing.state);
    if (lastData === null) return;
    const nowMs = clock();
    const offlineAfter = offlineAfterMs(existing.config, this.deps.offlineFactor);
    const freeInMs = lastData + offlineAfter - nowMs;
    if (freeInMs <= 0) return;
    const waitSeconds = Math.ceil(freeInMs / 1000);
    throw new AppError(
      'AGENT_IN_USE',
      `agent ${existing.name} (${existingId}) is reporting (last data ${Math.max(0, Math.round((nowMs - lastData) / 1000))} s ago); the registration token may not take over an agent in use (its api_key would be revoked): show its current api_key in ${AGENT_KEY_HEADER}, retry once it has been silent for ${Math.round(offlineAfter / 1000)} s (in ${waitSeconds} s), or use the admin token`,
      [{ path: `/headers/${AGENT_KEY_HEADER}`, message: shownKey === undefined ? 'required to re-register an agent in use' : "is not the agent's current api_key" }],
      { 'retry-after': String(waitSeconds) },
    );
  }
}
