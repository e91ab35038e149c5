/**
 * The ingest path's view of agents kept in memory, for a metadata store that one process owns
 * (SQLite): a MetadataStore in front of another that
 *
 * - serves getIngestContexts and getActiveAlerts from memory once an agent has been read, so a batch
 *   of a thousand payloads reads nothing from the database, and listIngestContexts once it has
 *   read every agent and none has been forgotten since (the sweeper, a Prometheus scrape and the
 *   dashboard's fleet figures read the whole fleet: from the database that was 30 ms and more for
 *   1,000 agents, JSON columns parsed every time);
 * - writes agents' derived state behind: a batch's new statuses, scores, snapshots and times wait in
 *   memory and go in one transaction at most `writeBehindMs` later, while events and alert changes
 *   are written with the batch, as before;
 * - writes everything pending before any read that shows agents (lists, one agent, counts, the
 *   sweeper's view) and before any other write that touches an agent, so what is read is always
 *   what the engine last computed.
 *
 * Every write to agents goes through it, so it never holds a stale agent: a change of config,
 * status or registration drops the agent's entry, which is read again on next use; the alert
 * changes of a batch, once written, are applied to the cached lists as the store applied them
 * (read again for every batch, they cost more than the rest of the batch's metadata work). What a
 * crash can lose is at most `writeBehindMs` of derived state (scores, pending-rule memory), which
 * the next payloads recompute (a status change's event is in the batch's own transaction, with the
 * alerts; payloads are in the series store). Not for a store several instances share (PostgreSQL): there each request reads
 * and writes its agents' state in one round trip.
 */
import type { MonitoringConfig, SystemEvent } from '@agentmon/schema';
import type {
  AgentFilter,
  AgentPatch,
  AgentStateWrite,
  AlertFilter,
  AlertRecord,
  AlertWrites,
  EventFilter,
  IngestContext,
  MetadataStore,
  NotificationTarget,
  RegistrationResult,
  RegistrationWrite,
} from './ports.js';
import { byCodePoint } from './code-point-order.js';

/** Options of the cache. */
export interface MetadataCacheOptions {
  /**
   * Longest time derived state waits in memory before it is written (default 5,000 ms). An agent
   * reporting every 10 s is written once per report either way; a backlog replayed at speed (or a
   * burst of single payloads) is written once per agent per delay, not once per payload.
   */
  writeBehindMs?: number;
  /** Where a failed background write is reported (it is retried with the next one). */
  onError?: (err: unknown) => void;
}

/** Two writes of one agent's state as one: the later state, the later last_seen, the later status. */
function mergeWrite(older: AgentStateWrite, newer: AgentStateWrite): AgentStateWrite {
  const lastSeen = older.last_seen === undefined ? newer.last_seen : newer.last_seen === undefined ? older.last_seen : newer.last_seen > older.last_seen ? newer.last_seen : older.last_seen;
  const status = newer.status ?? older.status;
  const state = newer.state ?? older.state;
  return {
    agent_id: newer.agent_id,
    ...(state !== undefined ? { state } : {}),
    ...(lastSeen !== undefined ? { last_seen: lastSeen } : {}),
    ...(status !== undefined ? { status } : {}),
  };
}

/** A MetadataStore that keeps ingest contexts and active alerts in memory and writes state behind. */
export class CachedMetadataStore implements MetadataStore {
  private readonly contexts = new Map<string, IngestContext>();
  /**
   * Every agent id of the store in its order (code point) while `contexts` holds them all: set by a
   * full read, null once an entry goes (a registration, change or deletion forgets its agent, which
   * may be a new one).
   */
  private fleet: string[] | null = null;
  /** Agents forgotten so far: a full read that some forget overtook does not make the cache complete. */
  private forgotten = 0;
  private readonly active = new Map<string, AlertRecord[]>();
  private pending = new Map<string, AgentStateWrite>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly writeBehindMs: number;
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly inner: MetadataStore,
    options: MetadataCacheOptions = {},
  ) {
    this.writeBehindMs = options.writeBehindMs ?? 5_000;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Writes every pending state now (one transaction); resolves when it is written. */
  async flushPending(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const writes = [...this.pending.values()];
    this.pending = new Map();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.flushing = this.inner.applyStates(writes, []).catch((err: unknown) => {
      // Put them back (newer pending ones win) so the next flush retries them.
      for (const w of writes) {
        const newer = this.pending.get(w.agent_id);
        this.pending.set(w.agent_id, newer ? mergeWrite(w, newer) : w);
      }
      throw err;
    });
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  private schedule(): void {
    if (this.timer || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushPending().catch((err: unknown) => {
        this.onError(err);
        this.schedule();
      });
    }, this.writeBehindMs);
    this.timer.unref();
  }

  /** Forgets what is cached of an agent (read again on next use). */
  private forget(agentId: string): void {
    this.contexts.delete(agentId);
    this.active.delete(agentId);
    this.fleet = null;
    this.forgotten += 1;
  }

  // ------------------------------------------------------------------ the ingest path

  async getIngestContexts(ids: readonly string[]): Promise<Map<string, IngestContext>> {
    const out = new Map<string, IngestContext>();
    const missing: string[] = [];
    for (const id of ids) {
      const ctx = this.contexts.get(id);
      if (ctx) out.set(id, ctx);
      else missing.push(id);
    }
    if (missing.length > 0) {
      // Pending writes are of cached agents only, so what the store has of these is current.
      for (const [id, ctx] of await this.inner.getIngestContexts(missing)) {
        this.contexts.set(id, ctx);
        out.set(id, ctx);
      }
    }
    return out;
  }

  async getActiveAlerts(agentIds: readonly string[] | null): Promise<AlertRecord[]> {
    if (agentIds === null) return this.inner.getActiveAlerts(null);
    const missing = agentIds.filter((id) => !this.active.has(id));
    if (missing.length > 0) {
      const found = await this.inner.getActiveAlerts(missing);
      for (const id of missing) this.active.set(id, []);
      for (const alert of found) this.active.get(alert.agent_id)?.push(alert);
    }
    // As the store orders them: by agent (byte order of the id), then creation (each list's order).
    const ids = [...new Set(agentIds)].sort(byCodePoint);
    return ids.flatMap((id) => this.active.get(id) ?? []);
  }

  async applyStates(writes: readonly AgentStateWrite[], events: readonly SystemEvent[], alerts?: AlertWrites): Promise<void> {
    const alertChanges = alerts !== undefined && alerts.insert.length + alerts.update.length > 0;
    // Written with the batch: the events and alerts, and the agents memory could not serve (not
    // cached). A status change waits with the rest of the state: its event is in the batch.
    const involved = new Set<string>();
    for (const w of writes) if (!this.contexts.has(w.agent_id)) involved.add(w.agent_id);
    for (const w of writes) {
      const ctx = this.contexts.get(w.agent_id);
      if (ctx) this.contexts.set(w.agent_id, { ...ctx, state: w.state ?? ctx.state, status: w.status ?? ctx.status });
    }
    const now: AgentStateWrite[] = [];
    for (const w of writes) {
      const older = this.pending.get(w.agent_id);
      const merged = older ? mergeWrite(older, w) : w;
      if (involved.has(w.agent_id)) {
        this.pending.delete(w.agent_id);
        now.push(merged);
      } else this.pending.set(w.agent_id, merged);
    }
    this.schedule();
    if (now.length === 0 && events.length === 0 && !alertChanges) return;
    try {
      await this.inner.applyStates(now, events, alerts);
    } catch (err) {
      // Nothing of it was written: the cached states are ahead of the store, so drop them.
      for (const w of now) this.forget(w.agent_id);
      if (alerts) for (const a of [...alerts.insert, ...alerts.update]) this.active.delete(a.agent_id);
      throw err;
    }
    if (alertChanges && alerts) this.applyAlertWrites(alerts);
  }

  /**
   * Applies written alert changes to the cached active lists as the store did: an update replaces
   * the alert with its id (and drops it once resolved), an insert joins its agent's list unless an
   * alert with its fingerprint is already active there. Lists stay in the store's order (creation
   * time, then id). Agents not cached are left to be read on next use.
   */
  private applyAlertWrites(alerts: AlertWrites): void {
    for (const a of alerts.update) {
      const list = this.active.get(a.agent_id);
      if (!list) continue;
      const at = list.findIndex((x) => x.id === a.id);
      if (a.is_active) {
        if (at >= 0) list[at] = a;
        else this.active.delete(a.agent_id); // active but not known here: read the truth again
      } else if (at >= 0) list.splice(at, 1);
    }
    for (const a of alerts.insert) {
      const list = this.active.get(a.agent_id);
      if (!list || list.some((x) => x.fingerprint === a.fingerprint)) continue;
      list.push(a);
      list.sort((x, y) => (x.created_at < y.created_at ? -1 : x.created_at > y.created_at ? 1 : byCodePoint(x.id, y.id)));
    }
  }

  async listIngestContexts(): Promise<IngestContext[]> {
    // Every agent is here, each as the engine last moved it (pending writes included).
    if (this.fleet) return this.fleet.map((id) => this.contexts.get(id) as IngestContext);
    await this.flushPending();
    const before = this.forgotten;
    const read = await this.inner.listIngestContexts();
    // An agent changed while the store was read: the read may hold it as it was, so cache nothing.
    if (this.forgotten !== before) return read;
    // A cached context is current (a batch may have moved it since the read); the read fills the rest.
    const all = read.map((ctx) => {
      const cached = this.contexts.get(ctx.id);
      if (cached) return cached;
      this.contexts.set(ctx.id, ctx);
      return ctx;
    });
    if (this.contexts.size === all.length) this.fleet = all.map((c) => c.id);
    return all;
  }

  // ------------------------------------------------------------------ reads of agents: pending state first

  async getAgent(id: string) {
    await this.flushPending();
    return this.inner.getAgent(id);
  }

  findAgentId(name: string, environment: string, host: string) {
    // Identity columns are written at registration, which goes straight to the store.
    return this.inner.findAgentId(name, environment, host);
  }

  async listAgents(filter: AgentFilter) {
    await this.flushPending();
    return this.inner.listAgents(filter);
  }

  async countAgents() {
    await this.flushPending();
    return this.inner.countAgents();
  }

  // ------------------------------------------------------------------ writes of agents: pending state first, then forget

  async registerAgent(write: RegistrationWrite): Promise<RegistrationResult> {
    await this.flushPending();
    const result = await this.inner.registerAgent(write);
    if (result.outcome !== 'conflict') this.forget(result.agent.id);
    if (write.agent.id) this.forget(write.agent.id);
    return result;
  }

  async updateAgent(id: string, patch: AgentPatch, events: SystemEvent[]) {
    await this.flushPending();
    try {
      return await this.inner.updateAgent(id, patch, events);
    } finally {
      this.forget(id);
    }
  }

  async deleteAgent(id: string, event: SystemEvent): Promise<boolean> {
    await this.flushPending();
    try {
      return await this.inner.deleteAgent(id, event);
    } finally {
      this.forget(id);
    }
  }

  async putConfig(config: MonitoringConfig): Promise<MonitoringConfig | null> {
    await this.flushPending();
    try {
      return await this.inner.putConfig(config);
    } finally {
      this.forget(config.agent_id);
    }
  }

  async insertAlert(alert: AlertRecord): Promise<void> {
    try {
      await this.inner.insertAlert(alert);
    } finally {
      this.active.delete(alert.agent_id);
    }
  }

  async updateAlert(alert: AlertRecord): Promise<void> {
    try {
      await this.inner.updateAlert(alert);
    } finally {
      this.active.delete(alert.agent_id);
    }
  }

  // ------------------------------------------------------------------ everything else goes straight through

  migrate() {
    return this.inner.migrate();
  }
  ping() {
    return this.inner.ping();
  }
  async maintain() {
    await this.flushPending();
    return this.inner.maintain();
  }
  async close() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushPending();
    return this.inner.close();
  }
  getConfig(agentId: string) {
    return this.inner.getConfig(agentId);
  }
  saveHealthChecks(agentId: string, checks: Parameters<MetadataStore['saveHealthChecks']>[1]) {
    return this.inner.saveHealthChecks(agentId, checks);
  }
  getHealthChecks(agentId: string) {
    return this.inner.getHealthChecks(agentId);
  }
  getAlert(id: string) {
    return this.inner.getAlert(id);
  }
  listAlerts(filter: AlertFilter) {
    return this.inner.listAlerts(filter);
  }
  deleteResolvedAlertsBefore(agentId: string, beforeIso: string, limit: number) {
    return this.inner.deleteResolvedAlertsBefore(agentId, beforeIso, limit);
  }
  deleteEventsBefore(agentId: string | null, beforeIso: string, limit: number) {
    return this.inner.deleteEventsBefore(agentId, beforeIso, limit);
  }
  listNotificationTargets() {
    return this.inner.listNotificationTargets();
  }
  getNotificationTarget(id: string) {
    return this.inner.getNotificationTarget(id);
  }
  insertNotificationTarget(target: NotificationTarget) {
    return this.inner.insertNotificationTarget(target);
  }
  deleteNotificationTarget(id: string) {
    return this.inner.deleteNotificationTarget(id);
  }
  tryLock(name: string) {
    return this.inner.tryLock(name);
  }
  insertEvents(events: readonly SystemEvent[]) {
    return this.inner.insertEvents(events);
  }
  listEvents(filter: EventFilter) {
    return this.inner.listEvents(filter);
  }
  getSetting<T>(key: string) {
    return this.inner.getSetting<T>(key);
  }
  putSetting(key: string, value: unknown) {
    return this.inner.putSetting(key, value);
  }
}
