/**
 * Which agent an OTel resource is: its identity from the resource attributes, found among the
 * registered agents by the registration rule (same name+environment+host = same agent), or
 * registered on first sight. Finding an agent never touches its api_key.
 */
import { randomUUID } from 'node:crypto';
import { AGENT_TYPES, defaultMonitoringConfig, type AgentInfo, type AgentType, type DeploymentType, type SystemEvent } from '@agentmon/schema';
import { hashToken, newAgentKey } from '../auth.js';
import { newEvent } from '../engine/events.js';
import type { AgentStore } from '../storage/ports.js';
import { attr } from './attributes.js';
import type { Attributes } from './model.js';

/** What a resource says about its agent. */
export interface AgentIdentity {
  name: string;
  environment: string;
  host: string;
  version: string;
  deployment_type: DeploymentType;
  /** `agentmon.agent.type` when it names an AgentType. */
  type: AgentType | null;
  /** service.instance.id, kept in the agent's metadata. */
  instanceId: string | null;
}

/** Environment of a resource that names none. */
export const DEFAULT_ENVIRONMENT = 'default';
/** Host of a resource that names none. */
export const UNKNOWN_HOST = 'unknown';
/** Version of a resource without service.version. */
export const UNKNOWN_VERSION = 'unknown';

const cut = (s: string, max: number) => s.slice(0, max);

/** The identity of a resource; null when it has no service.name (the reason is then the caller's to give). */
export function identityOf(resource: Attributes): AgentIdentity | null {
  const name = attr(resource, 'service.name');
  if (name === null) return null;
  const type = attr(resource, 'agentmon.agent.type');
  return {
    name: cut(name, 255),
    environment: cut(attr(resource, 'deployment.environment.name', 'deployment.environment') ?? DEFAULT_ENVIRONMENT, 50),
    host: cut(attr(resource, 'host.name', 'k8s.pod.name', 'container.id', 'host.id') ?? UNKNOWN_HOST, 255),
    version: cut(attr(resource, 'service.version') ?? UNKNOWN_VERSION, 100),
    deployment_type: deploymentOf(resource),
    type: type !== null && (AGENT_TYPES as readonly string[]).includes(type) ? (type as AgentType) : null,
    instanceId: attr(resource, 'service.instance.id'),
  };
}

/** Where a resource runs, from the resource conventions it carries. */
function deploymentOf(resource: Attributes): DeploymentType {
  const has = (prefix: string) => Object.keys(resource).some((k) => k.startsWith(prefix));
  if (has('k8s.')) return 'kubernetes';
  if (has('faas.')) return 'serverless';
  if (has('container.')) return 'docker';
  if (has('cloud.')) return 'cloud';
  return 'local';
}

/** What the directory needs. */
export interface AgentDirectoryDeps {
  metadata: AgentStore;
  clock: () => number;
  /** Told of each agent registered here (the live stream). */
  onRegistered?: (event: SystemEvent) => void;
}

/** Most identities remembered; past it the directory asks the store again. */
const MAX_REMEMBERED = 10_000;

/** Finds or registers the agent of an identity, remembering the answer. */
export class AgentDirectory {
  private readonly known = new Map<string, string>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly deps: AgentDirectoryDeps) {}

  /** The agent id of an identity, registering the agent when none has it. `genAi` picks the type of a new agent. */
  async resolve(identity: AgentIdentity, genAi: boolean): Promise<string> {
    const key = `${identity.name}\u0000${identity.environment}\u0000${identity.host}`;
    const remembered = this.known.get(key);
    if (remembered !== undefined) return remembered;
    // Two exports of a new agent at once register it once.
    let waiting = this.pending.get(key);
    if (!waiting) {
      waiting = this.findOrRegister(identity, genAi).finally(() => this.pending.delete(key));
      this.pending.set(key, waiting);
    }
    const id = await waiting;
    if (this.known.size >= MAX_REMEMBERED) this.known.clear();
    this.known.set(key, id);
    return id;
  }

  /** Forgets an agent (it was not found by id: deregistered since). */
  forget(agentId: string): void {
    for (const [key, id] of this.known) if (id === agentId) this.known.delete(key);
  }

  private async findOrRegister(identity: AgentIdentity, genAi: boolean): Promise<string> {
    const found = await this.find(identity);
    if (found !== null) return found;
    const nowMs = this.deps.clock();
    const nowIso = new Date(nowMs).toISOString();
    const agent: AgentInfo = {
      id: randomUUID(),
      name: identity.name,
      type: identity.type ?? (genAi ? 'llm_agent' : 'custom'),
      version: identity.version,
      description: null,
      deployment_type: identity.deployment_type,
      host: identity.host,
      port: null,
      environment: identity.environment,
      config: {},
      tags: ['opentelemetry'],
      registered_at: nowIso,
      last_seen: nowIso,
      status: 'unknown',
      metadata: { registered_by: 'otlp', ...(identity.instanceId ? { service_instance_id: identity.instanceId } : {}) },
    };
    const event = newEvent('agent_registered', `agent ${agent.name} registered from OpenTelemetry data`, {
      agent_id: agent.id,
      nowMs,
      data: { name: agent.name, type: agent.type, version: agent.version, environment: agent.environment, host: agent.host, source: 'otlp' },
    });
    const result = await this.deps.metadata.registerAgent({
      agent,
      idGiven: false,
      // The agent gets a key nobody holds: OTLP callers authenticate with their own token, and a
      // later POST /api/v1/agents gives the agent a key of its own.
      keyHash: (finalId) => hashToken(newAgentKey(finalId)),
      defaultConfig: defaultMonitoringConfig(agent.id),
      event,
    });
    if (result.outcome === 'conflict') return result.existingId;
    this.deps.onRegistered?.({ ...event, agent_id: result.agent.id });
    return result.agent.id;
  }

  /** The registered agent with this name, environment and host, if any. */
  private find(identity: AgentIdentity): Promise<string | null> {
    return this.deps.metadata.findAgentId(identity.name, identity.environment, identity.host);
  }
}
