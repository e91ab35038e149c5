/**
 * The ingest path's in-memory cache of agents over SQLite: derived state is written behind (and
 * reaches the file within its delay), status changes, events and alerts are written with their
 * batch, every read that shows agents sees the latest state, a change made by a person is never
 * overwritten by state computed before it, and a failed background write is retried, not lost.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultMonitoringConfig, type AgentInfo, type SystemEvent } from '@agentmon/schema';
import { CachedMetadataStore } from '../../src/storage/metadata-cache.js';
import { SqliteMetadataStore } from '../../src/storage/sqlite/metadata.js';
import type { AgentState, AgentStateWrite, AlertRecord, MetadataStore } from '../../src/storage/ports.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const NOW = '2026-01-01T00:00:00.000Z';

function event(agentId: string): SystemEvent {
  return { id: randomUUID(), type: 'agent_status_changed', agent_id: agentId, timestamp: NOW, data: {}, severity: 'info', message: 'moved', source: 'monitor_system' };
}

function state(score: number): AgentState {
  return { health_score: score, status_reason: `score ${score}`, last_metrics_at: NOW, last_heartbeat_at: null, last_health_at: null, snapshot: { n: score } };
}

/** A SQLite file, the cache over one connection to it, and a second connection that sees only what reached the file. */
async function open(writeBehindMs: number, inner?: (store: MetadataStore) => MetadataStore): Promise<{ cache: CachedMetadataStore; file: SqliteMetadataStore; agentId: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'agentmon-cache-'));
  dirs.push(dir);
  const path = join(dir, 'agentmon.db');
  const direct = new SqliteMetadataStore({ path });
  await direct.migrate();
  const cache = new CachedMetadataStore(inner ? inner(direct) : direct, { writeBehindMs });
  const agentId = randomUUID();
  const agent: AgentInfo = {
    id: agentId, name: 'cached', type: 'llm_agent', version: '1', description: null, deployment_type: 'docker', host: 'h', port: null,
    environment: 'prod', config: {}, tags: [], registered_at: NOW, last_seen: NOW, status: 'unknown', metadata: {},
  };
  await cache.registerAgent({ agent, idGiven: true, keyHash: 'k', defaultConfig: defaultMonitoringConfig(agentId), event: event(agentId) });
  return { cache, file: new SqliteMetadataStore({ path }), agentId };
}

function alert(agentId: string, fingerprint: string, createdAt: string): AlertRecord {
  return {
    id: randomUUID(), agent_id: agentId, severity: 'warning', title: 'CPU high', message: 'cpu above threshold', metric_name: 'cpu_usage_percent', threshold: 80,
    current_value: 90, created_at: createdAt, resolved_at: null, is_active: true, fingerprint, acknowledged_at: null, acknowledged_by: null,
    ack_comment: null, updated_at: createdAt, last_notified_at: null,
  };
}

/** The store with one method replaced by `wrap(the store's own)`; every other call goes straight through. */
function around<K extends keyof MetadataStore>(name: K, wrap: (own: MetadataStore[K]) => MetadataStore[K]) {
  return (store: MetadataStore): MetadataStore => {
    const replaced = wrap((store[name] as (...a: unknown[]) => unknown).bind(store) as MetadataStore[K]);
    return new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === name) return replaced;
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
}

/** Counts the full reads of ingest contexts that reach the store under the cache; `during` runs (and is awaited) after each read, before the cache has it. */
function countingFleetReads(counter: { reads: number; during?: () => Promise<unknown> }) {
  return around('listIngestContexts', (own) => async () => {
    counter.reads++;
    const read = await own();
    await counter.during?.();
    return read;
  });
}

/** Registers another agent through the cache. */
async function registerAnother(cache: CachedMetadataStore, name: string): Promise<string> {
  const id = randomUUID();
  const agent: AgentInfo = {
    id, name, type: 'chatbot', version: '2.1', description: null, deployment_type: 'kubernetes', host: `host-${name}`, port: null,
    environment: 'prod', config: {}, tags: [], registered_at: NOW, last_seen: NOW, status: 'unknown', metadata: {},
  };
  await cache.registerAgent({ agent, idGiven: true, keyHash: `k-${name}`, defaultConfig: defaultMonitoringConfig(id), event: event(id) });
  return id;
}

/** Counts the reads of active alerts that reach the store under the cache. */
function countingAlertReads(counter: { reads: number }) {
  return around('getActiveAlerts', (own) => (agentIds) => {
    counter.reads++;
    return own(agentIds);
  });
}

const write = (agentId: string, score: number, extra: Partial<AgentStateWrite> = {}): AgentStateWrite => ({ agent_id: agentId, state: state(score), ...extra });

describe('metadata cache of the ingest path', () => {
  it('serves the newest state from memory, writes it behind, and shows it to every read', async () => {
    const { cache, file, agentId } = await open(60_000);
    await cache.getIngestContexts([agentId]);
    await cache.applyStates([write(agentId, 0.25)], []);
    assert.equal((await cache.getIngestContexts([agentId])).get(agentId)?.state.health_score, 0.25, 'the ingest path sees it at once');
    assert.notEqual((await file.getIngestContexts([agentId])).get(agentId)?.state.health_score, 0.25, 'not yet in the file');
    // A read that shows agents writes what is pending first.
    assert.equal((await cache.getAgent(agentId))?.state.health_score, 0.25);
    assert.equal((await file.getIngestContexts([agentId])).get(agentId)?.state.health_score, 0.25);
    await cache.close();
    await file.close();
  });

  it('reaches the file within the write-behind delay with nobody reading', async () => {
    const { cache, file, agentId } = await open(30);
    await cache.getIngestContexts([agentId]);
    await cache.applyStates([write(agentId, 0.5)], []);
    await cache.applyStates([write(agentId, 0.75, { last_seen: '2026-01-01T00:00:05.000Z' })], []);
    for (let i = 0; i < 100 && (await file.getIngestContexts([agentId])).get(agentId)?.state.health_score !== 0.75; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await file.getIngestContexts([agentId])).get(agentId)?.state.health_score, 0.75);
    assert.equal((await file.getAgent(agentId))?.last_seen, '2026-01-01T00:00:05.000Z');
    await cache.close();
    await file.close();
  });

  it('writes a batch\'s events with it, the status change behind with the state, and shows both to reads', async () => {
    const { cache, file, agentId } = await open(60_000);
    await cache.getIngestContexts([agentId]);
    await cache.applyStates([write(agentId, 0.1, { status: 'error' })], [event(agentId)]);
    assert.equal((await file.listEvents({ agent_id: agentId, limit: 10 })).length, 2, 'registration and this event, at once');
    assert.equal((await cache.getIngestContexts([agentId])).get(agentId)?.status, 'error', 'the ingest path sees the status at once');
    assert.notEqual((await file.getAgent(agentId))?.status, 'error', 'the file gets it with the state');
    assert.equal((await cache.getAgent(agentId))?.status, 'error', 'a read writes what is pending first');
    assert.equal((await file.getIngestContexts([agentId])).get(agentId)?.state.health_score, 0.1);
    await cache.close();
    await file.close();
  });

  it('never lets state computed before a change by a person overwrite it', async () => {
    const { cache, file, agentId } = await open(60_000);
    await cache.getIngestContexts([agentId]);
    await cache.applyStates([write(agentId, 0.9)], []);
    await cache.updateAgent(agentId, { status: 'maintenance', status_reason: 'maintenance' }, []);
    // Written before the change, so it is not written after it; the next read sees the change.
    await cache.flushPending();
    assert.equal((await file.getAgent(agentId))?.status, 'maintenance');
    assert.equal((await cache.getIngestContexts([agentId])).get(agentId)?.status, 'maintenance');
    assert.equal((await cache.getIngestContexts([agentId])).get(agentId)?.state.status_reason, 'maintenance');
    await cache.putConfig({ ...defaultMonitoringConfig(agentId), cpu_threshold: 42 });
    assert.equal((await cache.getIngestContexts([agentId])).get(agentId)?.config.cpu_threshold, 42, 'a new config is read again');
    await cache.close();
    await file.close();
  });

  it('keeps state whose background write failed and writes it with the next one', async () => {
    let failures = 1;
    const { cache, file, agentId } = await open(
      60_000,
      around('applyStates', (own) => async (...args) => {
        if (failures-- > 0) throw new Error('disk full');
        return own(...args);
      }),
    );
    await cache.getIngestContexts([agentId]);
    await cache.applyStates([write(agentId, 0.33)], []);
    await assert.rejects(cache.flushPending(), /disk full/);
    await cache.flushPending();
    assert.equal((await file.getIngestContexts([agentId])).get(agentId)?.state.health_score, 0.33);
    await cache.close();
    await file.close();
  });

  it('keeps the active alerts it serves equal to the store\'s through fires, updates and resolutions, without reading them again', async () => {
    const counter = { reads: 0 };
    const { cache, file, agentId } = await open(60_000, countingAlertReads(counter));
    await cache.getIngestContexts([agentId]);
    assert.deepEqual(await cache.getActiveAlerts([agentId]), []);
    const late = alert(agentId, 'fp-memory', '2026-01-01T00:00:09.000Z');
    const early = alert(agentId, 'fp-cpu', '2026-01-01T00:00:03.000Z');
    // A duplicate of an active fingerprint is skipped by the store, and so by the cache.
    const duplicate = alert(agentId, 'fp-cpu', '2026-01-01T00:00:04.000Z');
    await cache.applyStates([write(agentId, 0.5)], [], { insert: [late], update: [] });
    await cache.applyStates([write(agentId, 0.4)], [], { insert: [early, duplicate], update: [] });
    const truth = async () => file.getActiveAlerts([agentId]);
    assert.deepEqual(await cache.getActiveAlerts([agentId]), await truth());
    assert.deepEqual((await cache.getActiveAlerts([agentId])).map((a) => a.fingerprint), ['fp-cpu', 'fp-memory'], 'in creation order');
    const escalated: AlertRecord = { ...early, severity: 'critical', current_value: 97, updated_at: '2026-01-01T00:00:20.000Z' };
    await cache.applyStates([], [], { insert: [], update: [escalated] });
    assert.deepEqual(await cache.getActiveAlerts([agentId]), await truth());
    assert.equal((await cache.getActiveAlerts([agentId]))[0]?.severity, 'critical');
    const over: AlertRecord = { ...late, is_active: false, resolved_at: '2026-01-01T00:00:30.000Z', updated_at: '2026-01-01T00:00:30.000Z' };
    const again = alert(agentId, 'fp-memory', '2026-01-01T00:00:31.000Z');
    // Resolved and fired again in one batch: the update goes first, so the new alert lands.
    await cache.applyStates([], [], { insert: [again], update: [over] });
    assert.deepEqual(await cache.getActiveAlerts([agentId]), await truth());
    assert.deepEqual((await cache.getActiveAlerts([agentId])).map((a) => a.id), [early.id, again.id]);
    assert.equal(counter.reads, 1, 'read once, when the agent was first seen');
    await cache.close();
    await file.close();
  });

  /** The cache over a store whose full reads of the fleet are counted (and can run a change inside). */
  async function openCountingFleet() {
    const counter: { reads: number; during?: () => Promise<unknown> } = { reads: 0 };
    return { counter, ...(await open(60_000, countingFleetReads(counter))) };
  }

  it('serves the whole fleet from memory once read, as the store holds it, and reads it again after any agent changes', async () => {
    const { counter, cache, file, agentId } = await openCountingFleet();
    const other = await registerAnother(cache, 'other');
    const truth = async () => {
      await cache.flushPending();
      return file.listIngestContexts();
    };
    assert.deepEqual(await cache.listIngestContexts(), await truth());
    assert.equal(counter.reads, 1);
    // A batch moves both agents: the list shows it at once, from memory.
    await cache.applyStates([write(agentId, 0.2, { status: 'error' }), write(other, 0.8)], []);
    const listed = await cache.listIngestContexts();
    assert.equal(counter.reads, 1, 'not read again');
    assert.deepEqual(listed.map((c) => [c.id, c.status, c.state.health_score]), [[agentId, 'error', 0.2], [other, 'unknown', 0.8]].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)));
    assert.deepEqual(listed, await truth(), 'the same contexts as the store, in its order');
    assert.deepEqual(listed.find((c) => c.id === other)?.host, 'host-other', 'with what agent_info shows');
    // A new agent, a change of config, a deletion: each makes the next list read the store.
    const third = await registerAnother(cache, 'third');
    assert.ok((await cache.listIngestContexts()).some((c) => c.id === third));
    assert.equal(counter.reads, 2);
    await cache.putConfig({ ...defaultMonitoringConfig(other), cpu_threshold: 33 });
    assert.equal((await cache.listIngestContexts()).find((c) => c.id === other)?.config.cpu_threshold, 33);
    assert.equal(counter.reads, 3);
    await cache.deleteAgent(third, event(third));
    assert.deepEqual(await cache.listIngestContexts(), await truth());
    assert.equal(counter.reads, 4);
    await cache.listIngestContexts();
    assert.equal(counter.reads, 4, 'complete again');
    await cache.close();
    await file.close();
  });

  it('does not take a fleet read that an agent change overtook for the whole fleet', async () => {
    const { counter, cache, file, agentId } = await openCountingFleet();
    // Right after the store is read, before the cache has the read, a person changes the agent's config.
    counter.during = () => {
      counter.during = undefined;
      return cache.putConfig({ ...defaultMonitoringConfig(agentId), cpu_threshold: 21 });
    };
    await cache.listIngestContexts();
    assert.equal((await cache.getIngestContexts([agentId])).get(agentId)?.config.cpu_threshold, 21, 'the change is served, not the read from before it');
    assert.equal((await cache.listIngestContexts()).find((c) => c.id === agentId)?.config.cpu_threshold, 21);
    assert.equal(counter.reads, 2, 'the overtaken read was not kept as the whole fleet');
    await cache.close();
    await file.close();
  });
});
