/**
 * A MetadataStore made of one part per port, so an adapter is a composition of small per-concern
 * modules (sqlite/*.ts, postgres/*.ts) and the forwarding is written once for every adapter.
 * The methods forward without `async` and without rest arguments: the ingest path calls through
 * here on every batch, and a plain call allocates nothing on the way.
 */
import type { HealthCheck, MonitoringConfig, SystemEvent } from '@agentmon/schema';
import type {
  AgentCounts,
  AgentFilter,
  AgentListRow,
  AgentPatch,
  AgentRecord,
  AgentStateWrite,
  AgentStore,
  AlertFilter,
  AlertRecord,
  AlertStore,
  AlertWrites,
  EventFilter,
  EventStore,
  HealthCheckStore,
  IngestContext,
  IngestStore,
  LockStore,
  MetadataStore,
  MonitoringConfigStore,
  NotificationTarget,
  NotificationTargetStore,
  RegistrationResult,
  RegistrationWrite,
  SettingStore,
  StoreLifecycle,
} from './ports.js';

/** The parts of a MetadataStore, one per port. */
export interface MetadataParts {
  lifecycle: StoreLifecycle;
  agents: AgentStore;
  ingest: IngestStore;
  configs: MonitoringConfigStore;
  healthChecks: HealthCheckStore;
  alerts: AlertStore;
  events: EventStore;
  targets: NotificationTargetStore;
  settings: SettingStore;
  locks: LockStore;
}

/** Forwards each method of the MetadataStore to the part of its port. */
export class ComposedMetadataStore implements MetadataStore {
  private readonly lifecycle: StoreLifecycle;
  private readonly agents: AgentStore;
  private readonly ingest: IngestStore;
  private readonly configs: MonitoringConfigStore;
  private readonly healthChecks: HealthCheckStore;
  private readonly alerts: AlertStore;
  private readonly events: EventStore;
  private readonly targets: NotificationTargetStore;
  private readonly settings: SettingStore;
  private readonly locks: LockStore;

  constructor(parts: MetadataParts) {
    this.lifecycle = parts.lifecycle;
    this.agents = parts.agents;
    this.ingest = parts.ingest;
    this.configs = parts.configs;
    this.healthChecks = parts.healthChecks;
    this.alerts = parts.alerts;
    this.events = parts.events;
    this.targets = parts.targets;
    this.settings = parts.settings;
    this.locks = parts.locks;
  }

  migrate(): Promise<number[]> {
    return this.lifecycle.migrate();
  }
  ping(): Promise<void> {
    return this.lifecycle.ping();
  }
  close(): Promise<void> {
    return this.lifecycle.close();
  }
  maintain(): Promise<string[]> {
    return this.lifecycle.maintain();
  }

  registerAgent(write: RegistrationWrite): Promise<RegistrationResult> {
    return this.agents.registerAgent(write);
  }
  getAgent(id: string): Promise<AgentRecord | null> {
    return this.agents.getAgent(id);
  }
  findAgentId(name: string, environment: string, host: string): Promise<string | null> {
    return this.agents.findAgentId(name, environment, host);
  }
  listAgents(filter: AgentFilter): Promise<{ items: AgentListRow[]; total: number }> {
    return this.agents.listAgents(filter);
  }
  countAgents(): Promise<AgentCounts> {
    return this.agents.countAgents();
  }
  updateAgent(id: string, patch: AgentPatch, events: SystemEvent[]): Promise<AgentRecord | null> {
    return this.agents.updateAgent(id, patch, events);
  }
  deleteAgent(id: string, event: SystemEvent): Promise<boolean> {
    return this.agents.deleteAgent(id, event);
  }

  getIngestContexts(ids: readonly string[]): Promise<Map<string, IngestContext>> {
    return this.ingest.getIngestContexts(ids);
  }
  applyStates(writes: readonly AgentStateWrite[], events: readonly SystemEvent[], alerts?: AlertWrites): Promise<void> {
    return this.ingest.applyStates(writes, events, alerts);
  }
  listIngestContexts(): Promise<IngestContext[]> {
    return this.ingest.listIngestContexts();
  }

  getConfig(agentId: string): Promise<MonitoringConfig | null> {
    return this.configs.getConfig(agentId);
  }
  putConfig(config: MonitoringConfig): Promise<MonitoringConfig | null> {
    return this.configs.putConfig(config);
  }

  saveHealthChecks(agentId: string, checks: readonly HealthCheck[]): Promise<void> {
    return this.healthChecks.saveHealthChecks(agentId, checks);
  }
  getHealthChecks(agentId: string): Promise<HealthCheck[]> {
    return this.healthChecks.getHealthChecks(agentId);
  }

  insertAlert(alert: AlertRecord): Promise<void> {
    return this.alerts.insertAlert(alert);
  }
  updateAlert(alert: AlertRecord): Promise<void> {
    return this.alerts.updateAlert(alert);
  }
  getAlert(id: string): Promise<AlertRecord | null> {
    return this.alerts.getAlert(id);
  }
  listAlerts(filter: AlertFilter): Promise<{ items: AlertRecord[]; total: number }> {
    return this.alerts.listAlerts(filter);
  }
  getActiveAlerts(agentIds: readonly string[] | null): Promise<AlertRecord[]> {
    return this.alerts.getActiveAlerts(agentIds);
  }
  deleteResolvedAlertsBefore(agentId: string, beforeIso: string, limit: number): Promise<number> {
    return this.alerts.deleteResolvedAlertsBefore(agentId, beforeIso, limit);
  }

  insertEvents(events: readonly SystemEvent[]): Promise<void> {
    return this.events.insertEvents(events);
  }
  listEvents(filter: EventFilter): Promise<SystemEvent[]> {
    return this.events.listEvents(filter);
  }
  deleteEventsBefore(agentId: string | null, beforeIso: string, limit: number): Promise<number> {
    return this.events.deleteEventsBefore(agentId, beforeIso, limit);
  }

  listNotificationTargets(): Promise<NotificationTarget[]> {
    return this.targets.listNotificationTargets();
  }
  getNotificationTarget(id: string): Promise<NotificationTarget | null> {
    return this.targets.getNotificationTarget(id);
  }
  insertNotificationTarget(target: NotificationTarget): Promise<void> {
    return this.targets.insertNotificationTarget(target);
  }
  deleteNotificationTarget(id: string): Promise<boolean> {
    return this.targets.deleteNotificationTarget(id);
  }

  getSetting<T>(key: string): Promise<T | null> {
    return this.settings.getSetting<T>(key);
  }
  putSetting(key: string, value: unknown): Promise<void> {
    return this.settings.putSetting(key, value);
  }

  tryLock(name: string): Promise<(() => Promise<void>) | null> {
    return this.locks.tryLock(name);
  }
}
