/**
 * The MetadataStore contract: what every adapter (SQLite, PostgreSQL, ...) must do, as node:test
 * suites. An adapter's test file calls `metadataContract` with a function that opens a fresh,
 * empty, unmigrated store; the suite closes the store, then calls `cleanup`.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AgentInfo, HealthCheck, MonitoringConfig, SystemEvent } from '@agentmon/schema';
import type {
  AgentFilter,
  AgentRecord,
  AlertFilter,
  AlertRecord,
  AgentState,
  EventFilter,
  MetadataStore,
  NotificationTarget,
  RegistrationResult,
  RegistrationWrite,
} from '../../../src/storage/ports.js';

/** Opens a fresh, empty, unmigrated store; `cleanup` removes what it made once the store is closed. */
export type OpenMetadataStore = () => Promise<{ store: MetadataStore; cleanup: () => Promise<void> }>;

// ------------------------------------------------------------------ fixtures

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** T0 plus `minutes`, as the port's ISO strings. */
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

/** The state registration gives a new agent. */
const NEW_STATE: AgentState = {
  health_score: 0,
  status_reason: 'no_data',
  last_metrics_at: null,
  last_heartbeat_at: null,
  last_health_at: null,
  snapshot: {},
};

function agentInfo(overrides: Partial<AgentInfo> = {}): AgentInfo {
  return {
    id: randomUUID(),
    name: 'alpha',
    type: 'llm_agent',
    version: '1.0.0',
    description: null,
    deployment_type: 'docker',
    host: 'host-1',
    port: null,
    environment: 'prod',
    config: {},
    tags: [],
    registered_at: at(0),
    last_seen: at(0),
    status: 'unknown',
    metadata: {},
    ...overrides,
  };
}

/** The seed's MonitoringConfig defaults. */
function defaultConfig(agentId: string): MonitoringConfig {
  return {
    agent_id: agentId,
    metrics_interval_seconds: 60,
    health_check_interval_seconds: 30,
    enable_resource_monitoring: true,
    enable_performance_monitoring: true,
    enable_ai_monitoring: false,
    cpu_threshold: 80,
    memory_threshold: 85,
    error_rate_threshold: 0.05,
    response_time_threshold_ms: 5000,
    custom_thresholds: {},
    metrics_retention_days: 30,
    logs_retention_days: 7,
    critical_thresholds: {},
    alert_pending_seconds: 0,
    alert_keep_firing_seconds: 0,
    alert_recovery_ratio: 0.9,
  };
}

function customConfig(agentId: string): MonitoringConfig {
  return {
    agent_id: agentId,
    metrics_interval_seconds: 15,
    health_check_interval_seconds: 10,
    enable_resource_monitoring: false,
    enable_performance_monitoring: true,
    enable_ai_monitoring: true,
    cpu_threshold: 92.5,
    memory_threshold: 70,
    error_rate_threshold: 0.125,
    response_time_threshold_ms: 1500.5,
    custom_thresholds: { latency_p99_ms: 250.5, queue_depth: 10 },
    critical_thresholds: { cpu_usage_percent: 97.5 },
    alert_pending_seconds: 120,
    alert_keep_firing_seconds: 300,
    alert_recovery_ratio: 0.85,
    metrics_retention_days: 90,
    logs_retention_days: 14,
  };
}

function event(overrides: Partial<SystemEvent> = {}): SystemEvent {
  return {
    id: randomUUID(),
    type: 'agent_status_changed',
    agent_id: null,
    timestamp: at(0),
    data: {},
    severity: 'info',
    message: 'something happened',
    source: 'monitor_system',
    ...overrides,
  };
}

/** An active, unacknowledged alert with a fingerprint of its own unless one is given. */
function alert(overrides: Partial<AlertRecord> & Pick<AlertRecord, 'agent_id'>): AlertRecord {
  return {
    id: randomUUID(),
    severity: 'warning',
    title: 'CPU high',
    message: 'cpu_usage_percent above threshold',
    metric_name: 'cpu_usage_percent',
    threshold: 80,
    current_value: 93.25,
    created_at: at(0),
    resolved_at: null,
    is_active: true,
    fingerprint: `fp-${randomUUID()}`,
    acknowledged_at: null,
    acknowledged_by: null,
    ack_comment: null,
    updated_at: at(0),
    last_notified_at: null,
    ...overrides,
  };
}

/** The alert resolved at `minutes`, as the engine resolves one. */
function resolvedAt(a: AlertRecord, minutes: number): AlertRecord {
  return { ...a, is_active: false, resolved_at: at(minutes), updated_at: at(minutes) };
}

function target(overrides: Partial<NotificationTarget> = {}): NotificationTarget {
  return {
    id: randomUUID(),
    name: 'ops webhook',
    kind: 'webhook',
    url: 'https://hooks.example.test/agentmon',
    enabled: true,
    created_at: at(0),
    ...overrides,
  };
}

function state(overrides: Partial<AgentState> = {}): AgentState {
  return {
    health_score: 0.5,
    status_reason: null,
    last_metrics_at: null,
    last_heartbeat_at: null,
    last_health_at: null,
    snapshot: {},
    ...overrides,
  };
}

/** A registration as the route builds it; a given `id` means the client gave it. */
function registration(agent: Partial<AgentInfo> = {}, options: { idGiven?: boolean; keyHash?: string } = {}): RegistrationWrite {
  const info = agentInfo(agent);
  return {
    agent: info,
    idGiven: options.idGiven ?? agent.id !== undefined,
    keyHash: options.keyHash ?? `hash-${randomUUID()}`,
    defaultConfig: defaultConfig(info.id),
    event: event({ type: 'agent_registered', message: `registered ${info.name}`, timestamp: info.registered_at }),
  };
}

function stored(result: RegistrationResult): Extract<RegistrationResult, { agent: AgentRecord }> {
  if (result.outcome === 'conflict') assert.fail(`unexpected conflict with ${result.existingId}`);
  return result;
}

async function register(store: MetadataStore, agent: Partial<AgentInfo> = {}, options: { keyHash?: string } = {}): Promise<AgentRecord> {
  return stored(await store.registerAgent(registration(agent, options))).agent;
}

const page = (overrides: Partial<AgentFilter> = {}): AgentFilter => ({ offset: 0, limit: 50, ...overrides });

// ------------------------------------------------------------------ the suite

/** Registers the contract's tests for one adapter. */
export function metadataContract(name: string, open: OpenMetadataStore): void {
  describe(`MetadataStore contract: ${name}`, () => {
    describe('migrate', () => {
      it('applies every version once, in order, and nothing the second time', async () => {
        const { store, cleanup } = await open();
        try {
          const applied = await store.migrate();
          assert.ok(applied.length >= 1);
          assert.equal(applied[0], 1);
          assert.deepEqual(
            applied,
            applied.map((_, i) => i + 1),
          );
          assert.deepEqual(await store.migrate(), []);
          await store.ping();
          assert.equal(await store.getAgent('nobody'), null);
        } finally {
          await store.close();
          await cleanup();
        }
      });

      it('applies each version once when two migrations start together', async () => {
        const { store, cleanup } = await open();
        try {
          const [a, b] = await Promise.all([store.migrate(), store.migrate()]);
          const all = [...a, ...b].sort((x, y) => x - y);
          assert.ok(all.length >= 1);
          assert.equal(new Set(all).size, all.length, 'a version was applied twice');
          assert.ok(a.length === 0 || b.length === 0, 'both calls applied something');
          assert.deepEqual(await store.migrate(), []);
        } finally {
          await store.close();
          await cleanup();
        }
      });
    });

    describe('with a migrated store', () => {
      let store!: MetadataStore;
      let cleanup!: () => Promise<void>;

      beforeEach(async () => {
        ({ store, cleanup } = await open());
        await store.migrate();
      });

      afterEach(async () => {
        await store.close();
        await cleanup();
      });

      it('answers ping', async () => {
        await store.ping();
      });

      // -------------------------------------------------------------- registration

      describe('registerAgent', () => {
        it('creates a new agent with its config, fresh state, key hash and event', async () => {
          const write = registration({
            name: 'alpha',
            description: 'first agent',
            port: 8080,
            config: { model: 'gpt-x', depth: 3, ratio: 0.25, nested: { on: true, list: [1, 'two'] } },
            tags: ['gpu', 'eu'],
            metadata: { team: 'ml', replicas: 2 },
            registered_at: at(1),
            last_seen: at(2),
          });
          const result = stored(await store.registerAgent(write));
          assert.equal(result.outcome, 'created');
          assert.deepEqual(result.agent, { ...write.agent, state: NEW_STATE });
          assert.deepEqual(result.config, write.defaultConfig);
          assert.deepEqual(await store.getAgent(write.agent.id), result.agent);
          assert.deepEqual(await store.getConfig(write.agent.id), write.defaultConfig);

          const context = (await store.getIngestContexts([write.agent.id])).get(write.agent.id);
          assert.equal(context?.keyHash, write.keyHash);

          assert.deepEqual(await store.listEvents({ limit: 10 }), [{ ...write.event, agent_id: write.agent.id }]);
        });

        it('stores timestamps given with an offset as UTC with milliseconds', async () => {
          const write = registration({ registered_at: '2026-01-01T02:00:00+02:00', last_seen: '2026-01-01T03:30:00.5+02:00' });
          const { agent } = stored(await store.registerAgent(write));
          assert.equal(agent.registered_at, '2026-01-01T00:00:00.000Z');
          assert.equal(agent.last_seen, '2026-01-01T01:30:00.500Z');
        });

        it('updates the agent with the same name, environment and host, keeping its config and state', async () => {
          const first = await register(store, { name: 'alpha', registered_at: at(1), last_seen: at(1) }, { keyHash: 'key-1' });
          const custom = customConfig(first.id);
          await store.putConfig(custom);
          const kept = state({ health_score: 0.75, status_reason: 'healthy', last_metrics_at: at(5), snapshot: { cpu: 12.5 } });
          await store.applyStates([{ agent_id: first.id, last_seen: at(5), status: 'online', state: kept }], []);

          const again = registration(
            {
              name: 'alpha',
              version: '2.0.0',
              type: 'api_agent',
              deployment_type: 'kubernetes',
              description: 'second',
              port: 9090,
              config: { model: 'gpt-y' },
              tags: ['new'],
              metadata: { team: 'platform' },
              registered_at: at(10),
              last_seen: at(10),
            },
            { keyHash: 'key-2' },
          );
          assert.notEqual(again.agent.id, first.id);
          const result = stored(await store.registerAgent(again));
          assert.equal(result.outcome, 'updated');
          assert.deepEqual(result.agent, {
            ...again.agent,
            id: first.id,
            registered_at: at(1),
            last_seen: at(5),
            status: 'online',
            state: kept,
          });
          assert.deepEqual(result.config, custom);
          assert.deepEqual(await store.getAgent(first.id), result.agent);
          assert.equal(await store.getAgent(again.agent.id), null);
          assert.equal((await store.listAgents(page())).total, 1);
          assert.equal((await store.getIngestContexts([first.id])).get(first.id)?.keyHash, 'key-2');

          const events = await store.listEvents({ limit: 10 });
          assert.equal(events.length, 2);
          assert.ok(events.every((e) => e.agent_id === first.id && e.type === 'agent_registered'));
        });

        it('updates the agent with a given known id even when its identity changed', async () => {
          const id = 'agent-fixed-id';
          const first = stored(await store.registerAgent(registration({ id, host: 'host-1' })));
          assert.equal(first.outcome, 'created');
          assert.equal(first.agent.id, id);

          const result = stored(await store.registerAgent(registration({ id, host: 'host-2', version: '1.1.0' }, { keyHash: 'moved' })));
          assert.equal(result.outcome, 'updated');
          assert.equal(result.agent.id, id);
          assert.equal(result.agent.host, 'host-2');
          assert.equal(result.agent.version, '1.1.0');
          assert.equal((await store.getAgent(id))?.host, 'host-2');
          assert.equal((await store.listAgents(page())).total, 1);
          assert.equal((await store.getIngestContexts([id])).get(id)?.keyHash, 'moved');
        });

        it('is a conflict, writing nothing, when a given unknown id meets the identity of another agent', async () => {
          const first = await register(store, { name: 'alpha' }, { keyHash: 'original' });
          const result = await store.registerAgent(registration({ id: 'someone-else', name: 'alpha' }, { keyHash: 'intruder' }));
          assert.deepEqual(result, { outcome: 'conflict', existingId: first.id });
          assert.equal(await store.getAgent('someone-else'), null);
          assert.equal((await store.listAgents(page())).total, 1);
          assert.equal((await store.listEvents({ limit: 10 })).length, 1);
          assert.equal((await store.getIngestContexts([first.id])).get(first.id)?.keyHash, 'original');
        });

        it('makes one agent of two first registrations of one identity racing each other', async () => {
          const results = await Promise.all([
            store.registerAgent(registration({ name: 'racer' }, { keyHash: 'k1' })),
            store.registerAgent(registration({ name: 'racer' }, { keyHash: 'k2' })),
          ]);
          assert.deepEqual(results.map((r) => r.outcome).sort(), ['created', 'updated']);
          const [first, second] = results.map(stored);
          assert.equal(first?.agent.id, second?.agent.id);
          assert.equal((await store.listAgents(page())).total, 1);
        });

        it('creates the agent under a given unknown id with a new identity', async () => {
          await register(store, { name: 'alpha' });
          const result = stored(await store.registerAgent(registration({ id: 'client-chosen', name: 'bravo' })));
          assert.equal(result.outcome, 'created');
          assert.equal(result.agent.id, 'client-chosen');
          assert.equal(result.config.agent_id, 'client-chosen');
          assert.equal((await store.listAgents(page())).total, 2);
        });
      });

      it('answers null for an unknown agent', async () => {
        assert.equal(await store.getAgent('nobody'), null);
        assert.equal(await store.getConfig('nobody'), null);
        assert.deepEqual(await store.getHealthChecks('nobody'), []);
      });

      // -------------------------------------------------------------- the agent list

      describe('listAgents', () => {
        const fleet = [
          { id: 'id-a', name: 'alpha', type: 'llm_agent', environment: 'prod', status: 'online', tags: ['gpu', 'eu'], registered_at: at(1), last_seen: at(10), score: 0.9 },
          { id: 'id-b', name: 'bravo', type: 'chatbot', environment: 'prod', status: 'warning', tags: ['eu'], registered_at: at(2), last_seen: at(30), score: 0.5 },
          { id: 'id-c', name: 'charlie', type: 'llm_agent', environment: 'staging', status: 'offline', tags: [], registered_at: at(3), last_seen: at(20), score: 0.1 },
          { id: 'id-d', name: 'delta', type: 'ml_model', environment: 'dev', status: 'error', tags: ['gpu'], registered_at: at(4), last_seen: at(40), score: 0.7 },
          { id: 'id-e', name: 'echo', type: 'llm_agent', environment: 'prod', status: 'online', tags: [], registered_at: at(5), last_seen: at(5), score: 0.9 },
        ] as const;

        beforeEach(async () => {
          for (const { score: _score, tags, ...agent } of fleet) await register(store, { ...agent, tags: [...tags] });
          await store.applyStates(
            fleet.map((a) => ({ agent_id: a.id, state: state({ health_score: a.score, status_reason: `reason-${a.name}` }) })),
            [],
          );
        });

        const names = async (filter: Partial<AgentFilter>): Promise<string[]> =>
          (await store.listAgents(page(filter))).items.map((row) => row.name);

        it('lists every agent by name with the summary fields and the total', async () => {
          const { items, total } = await store.listAgents(page());
          assert.equal(total, 5);
          assert.deepEqual(
            items.map((r) => r.name),
            ['alpha', 'bravo', 'charlie', 'delta', 'echo'],
          );
          assert.deepEqual(items[0], {
            id: 'id-a',
            name: 'alpha',
            type: 'llm_agent',
            status: 'online',
            last_seen: at(10),
            environment: 'prod',
            health_score: 0.9,
            host: 'host-1',
            version: '1.0.0',
            deployment_type: 'docker',
            tags: ['gpu', 'eu'],
            status_reason: 'reason-alpha',
          });
        });

        it('filters by status, type, environment and tag, alone and together', async () => {
          assert.deepEqual(await names({ status: 'online' }), ['alpha', 'echo']);
          assert.deepEqual(await names({ type: 'llm_agent' }), ['alpha', 'charlie', 'echo']);
          assert.deepEqual(await names({ environment: 'prod' }), ['alpha', 'bravo', 'echo']);
          assert.deepEqual(await names({ environment: 'pro' }), []);
          assert.deepEqual(await names({ tag: 'gpu' }), ['alpha', 'delta']);
          assert.deepEqual(await names({ tag: 'gp' }), []);
          assert.deepEqual(await names({ environment: 'prod', tag: 'eu' }), ['alpha', 'bravo']);
          assert.deepEqual(await names({ type: 'llm_agent', status: 'online', environment: 'prod' }), ['alpha', 'echo']);
          const filtered = await store.listAgents(page({ type: 'llm_agent', limit: 1 }));
          assert.equal(filtered.total, 3);
          assert.equal(filtered.items.length, 1);
        });

        it('finds a case-insensitive substring of the name', async () => {
          assert.deepEqual(await names({ q: 'HAR' }), ['charlie']);
          assert.deepEqual(await names({ q: 'a' }), ['alpha', 'bravo', 'charlie', 'delta']);
          assert.deepEqual(await names({ q: 'zulu' }), []);
          assert.deepEqual(await names({ q: 'ECHO', status: 'online' }), ['echo']);
        });

        it('sorts by every key, both ways, breaking ties by id', async () => {
          assert.deepEqual(await names({ sort: 'name', descending: true }), ['echo', 'delta', 'charlie', 'bravo', 'alpha']);
          assert.deepEqual(await names({ sort: 'last_seen' }), ['echo', 'alpha', 'charlie', 'bravo', 'delta']);
          assert.deepEqual(await names({ sort: 'last_seen', descending: true }), ['delta', 'bravo', 'charlie', 'alpha', 'echo']);
          assert.deepEqual(await names({ sort: 'health_score' }), ['charlie', 'bravo', 'delta', 'alpha', 'echo']);
          assert.deepEqual(await names({ sort: 'health_score', descending: true }), ['echo', 'alpha', 'delta', 'bravo', 'charlie']);
          assert.deepEqual(await names({ sort: 'registered_at', descending: true }), ['echo', 'delta', 'charlie', 'bravo', 'alpha']);
          // Worst first, not alphabetically: error, offline, warning, then online.
          assert.deepEqual(await names({ sort: 'status' }), ['delta', 'charlie', 'bravo', 'alpha', 'echo']);
          assert.deepEqual(await names({ sort: 'status', descending: true }), ['echo', 'alpha', 'bravo', 'charlie', 'delta']);
          assert.deepEqual(await names({ sort: 'environment' }), ['delta', 'alpha', 'bravo', 'echo', 'charlie']);
          assert.deepEqual(await names({ sort: 'type' }), ['bravo', 'alpha', 'charlie', 'echo', 'delta']);
        });

        it('pages with offset and limit, every page counting the whole match', async () => {
          const seen: string[] = [];
          for (let offset = 0; offset < 6; offset += 2) {
            const { items, total } = await store.listAgents(page({ sort: 'health_score', descending: true, offset, limit: 2 }));
            assert.equal(total, 5);
            seen.push(...items.map((r) => r.name));
          }
          assert.deepEqual(seen, ['echo', 'alpha', 'delta', 'bravo', 'charlie']);
          const beyond = await store.listAgents(page({ offset: 10, limit: 2 }));
          assert.deepEqual(beyond, { items: [], total: 5 });
        });
      });

      it('matches % and _ in q literally', async () => {
        for (const name of ['100% ready', '1000 ready', 'a_b', 'axb', 'back\\slash', 'backslash']) await register(store, { name });
        const names = async (q: string): Promise<string[]> => (await store.listAgents(page({ q }))).items.map((r) => r.name);
        assert.deepEqual(await names('%'), ['100% ready']);
        assert.deepEqual(await names('0% r'), ['100% ready']);
        assert.deepEqual(await names('_'), ['a_b']);
        assert.deepEqual(await names('a_b'), ['a_b']);
        assert.deepEqual(await names('\\'), ['back\\slash']);
        assert.equal((await store.listAgents(page({ q: '%' }))).total, 1);
      });

      // -------------------------------------------------------------- updates and deletion

      describe('updateAgent', () => {
        it('changes only the fields present in the patch', async () => {
          const before = await register(store, {
            description: 'kept',
            port: 8080,
            tags: ['a'],
            config: { k: 1 },
            metadata: { m: 'x' },
          });

          const versioned = await store.updateAgent(before.id, { version: '1.1.0' }, []);
          assert.deepEqual(versioned, { ...before, version: '1.1.0' });

          const cleared = await store.updateAgent(before.id, { description: null, port: null }, []);
          assert.deepEqual(cleared, { ...before, version: '1.1.0', description: null, port: null });

          const reshaped = await store.updateAgent(
            before.id,
            { name: 'alpha-2', tags: ['x', 'y'], config: { k: 2, deep: { n: 1.5 } }, metadata: { owner: 'me' } },
            [],
          );
          assert.deepEqual(reshaped, {
            ...before,
            version: '1.1.0',
            description: null,
            port: null,
            name: 'alpha-2',
            tags: ['x', 'y'],
            config: { k: 2, deep: { n: 1.5 } },
            metadata: { owner: 'me' },
          });
          assert.deepEqual(await store.getAgent(before.id), reshaped);
          assert.deepEqual(await store.listEvents({ limit: 10, type: 'agent_status_changed' }), []);
        });

        it('writes status, status_reason and the events together', async () => {
          const before = await register(store);
          const changed = event({ agent_id: before.id, message: 'maintenance started', data: { from: 'unknown', to: 'maintenance' } });
          const updated = await store.updateAgent(before.id, { status: 'maintenance', status_reason: 'maintenance' }, [changed]);
          assert.equal(updated?.status, 'maintenance');
          assert.equal(updated?.state.status_reason, 'maintenance');
          assert.equal(updated?.state.health_score, 0);
          assert.deepEqual(await store.listEvents({ limit: 10, type: 'agent_status_changed' }), [changed]);

          const reasonless = await store.updateAgent(before.id, { status_reason: null }, []);
          assert.equal(reasonless?.status, 'maintenance');
          assert.equal(reasonless?.state.status_reason, null);
          const [row] = (await store.listAgents(page())).items;
          assert.equal(row?.status, 'maintenance');
          assert.equal(row?.status_reason, null);
        });

        it('answers null for an unknown agent and writes none of its events', async () => {
          assert.equal(await store.updateAgent('nobody', { version: '9' }, [event({ message: 'never' })]), null);
          assert.deepEqual(await store.listEvents({ limit: 10 }), []);
        });
      });

      describe('deleteAgent', () => {
        it('cascades to config, credentials, state, health checks and alerts, and nulls its events', async () => {
          const gone = await register(store, { name: 'gone' });
          const stays = await register(store, { name: 'stays' });
          await store.putConfig(customConfig(gone.id));
          await store.saveHealthChecks(gone.id, [{ name: 'db', status: true, message: null, timestamp: at(1), execution_time_ms: 3 }]);
          await store.saveHealthChecks(stays.id, [{ name: 'db', status: true, message: null, timestamp: at(1), execution_time_ms: 3 }]);
          await store.applyStates([{ agent_id: gone.id, last_seen: at(2), state: state({ health_score: 0.8 }) }], []);
          const goneAlert = alert({ agent_id: gone.id });
          const staysAlert = alert({ agent_id: stays.id });
          await store.insertAlert(goneAlert);
          await store.insertAlert(staysAlert);
          const earlier = event({ agent_id: gone.id, timestamp: at(3), message: 'earlier' });
          await store.insertEvents([earlier]);

          const deregistered = event({
            type: 'agent_deregistered',
            agent_id: gone.id,
            timestamp: at(4),
            message: 'deregistered gone',
            data: { agent_id: gone.id, name: 'gone' },
          });
          assert.equal(await store.deleteAgent(gone.id, deregistered), true);

          assert.equal(await store.getAgent(gone.id), null);
          assert.equal(await store.getConfig(gone.id), null);
          assert.deepEqual(await store.getHealthChecks(gone.id), []);
          assert.equal(await store.getAlert(goneAlert.id), null);
          assert.equal((await store.listAlerts({ agent_id: gone.id, offset: 0, limit: 10 })).total, 0);
          assert.equal((await store.getIngestContexts([gone.id])).size, 0);
          assert.deepEqual(
            (await store.listIngestContexts()).map((c) => c.id),
            [stays.id],
          );

          const [stored1] = await store.listEvents({ limit: 10, type: 'agent_deregistered' });
          assert.deepEqual(stored1, { ...deregistered, agent_id: null });
          assert.deepEqual(await store.listEvents({ limit: 10, agent_id: gone.id }), []);
          const history = await store.listEvents({ limit: 10, type: 'agent_status_changed' });
          assert.deepEqual(history, [{ ...earlier, agent_id: null }]);

          assert.deepEqual(await store.getAlert(staysAlert.id), staysAlert);
          assert.equal((await store.getHealthChecks(stays.id)).length, 1);

          // The credentials went too: the id is free again, and a new key hash is what counts.
          const back = stored(await store.registerAgent(registration({ id: gone.id, name: 'gone' }, { keyHash: 'fresh' })));
          assert.equal(back.outcome, 'created');
          assert.deepEqual(back.config, defaultConfig(gone.id));
          assert.deepEqual(back.agent.state, NEW_STATE);
          assert.equal((await store.getIngestContexts([gone.id])).get(gone.id)?.keyHash, 'fresh');
        });

        it('answers false for an unknown agent and writes nothing', async () => {
          assert.equal(await store.deleteAgent('nobody', event({ type: 'agent_deregistered', message: 'never' })), false);
          assert.deepEqual(await store.listEvents({ limit: 10 }), []);
        });
      });

      // -------------------------------------------------------------- ingest

      it('gets the ingest contexts of known ids in one map, and lists them all', async () => {
        const a = await register(store, { name: 'a', environment: 'prod', deployment_type: 'kubernetes', type: 'chatbot', version: '3.2.1', host: 'host-a' }, { keyHash: 'key-a' });
        const b = await register(store, { name: 'b', environment: 'dev', deployment_type: 'local', type: 'ml_model', version: '0.9', host: 'host-b' }, { keyHash: 'key-b' });
        await store.putConfig(customConfig(a.id));
        const aState = state({
          health_score: 0.625,
          status_reason: 'threshold:cpu_usage_percent',
          last_metrics_at: at(7),
          last_heartbeat_at: at(6),
          last_health_at: at(5),
          snapshot: { cpu_usage_percent: 95.5, components: { resource: 0.5, performance: 1 } },
        });
        await store.applyStates([{ agent_id: a.id, last_seen: at(7), status: 'warning', state: aState }], []);

        const contexts = await store.getIngestContexts([a.id, 'nobody', b.id, a.id]);
        assert.equal(contexts.size, 2);
        assert.deepEqual(contexts.get(a.id), {
          id: a.id,
          name: 'a',
          keyHash: 'key-a',
          environment: 'prod',
          deployment_type: 'kubernetes',
          type: 'chatbot',
          version: '3.2.1',
          host: 'host-a',
          status: 'warning',
          config: customConfig(a.id),
          state: aState,
        });
        assert.deepEqual(contexts.get(b.id), {
          id: b.id,
          name: 'b',
          keyHash: 'key-b',
          environment: 'dev',
          deployment_type: 'local',
          type: 'ml_model',
          version: '0.9',
          host: 'host-b',
          status: 'unknown',
          config: defaultConfig(b.id),
          state: NEW_STATE,
        });
        assert.equal((await store.getIngestContexts([])).size, 0);

        const all = await store.listIngestContexts();
        assert.deepEqual(
          [...all].sort((x, y) => x.id.localeCompare(y.id)),
          [contexts.get(a.id), contexts.get(b.id)].sort((x, y) => (x?.id ?? '').localeCompare(y?.id ?? '')),
        );
      });

      describe('applyStates', () => {
        it('keeps the later last_seen, sets status when given, and replaces the state', async () => {
          const agent = await register(store, { last_seen: at(10) });
          const first = state({ health_score: 1, status_reason: 'healthy', last_metrics_at: at(20), snapshot: { score: 1 } });
          await store.applyStates([{ agent_id: agent.id, last_seen: at(20), status: 'online', state: first }], []);
          let now = await store.getAgent(agent.id);
          assert.equal(now?.last_seen, at(20));
          assert.equal(now?.status, 'online');
          assert.deepEqual(now?.state, first);

          const second = state({ health_score: 0.25, status_reason: 'no_heartbeat', last_heartbeat_at: at(15) });
          await store.applyStates([{ agent_id: agent.id, last_seen: at(15), state: second }], []);
          now = await store.getAgent(agent.id);
          assert.equal(now?.last_seen, at(20), 'an earlier last_seen must not move it back');
          assert.equal(now?.status, 'online', 'no status given: kept');
          assert.deepEqual(now?.state, second);

          await store.applyStates([{ agent_id: agent.id, status: 'offline', state: second }], []);
          now = await store.getAgent(agent.id);
          assert.equal(now?.last_seen, at(20));
          assert.equal(now?.status, 'offline');

          const row = (await store.listAgents(page())).items[0];
          assert.equal(row?.health_score, 0.25);
          assert.equal(row?.status_reason, 'no_heartbeat');
        });

        it('calls made together land one by one: a call that cannot be written fails alone, in call order', async () => {
          const agent = await register(store);
          const existing = event({ agent_id: agent.id, message: 'already there', timestamp: at(1) });
          await store.applyStates([], [existing]);
          // Made in one turn (as requests whose payloads became durable together): the second
          // repeats an event id, which the store refuses; the first and third are written.
          const results = await Promise.allSettled([
            store.applyStates([{ agent_id: agent.id, status: 'warning', state: state({ health_score: 0.5 }) }], [event({ agent_id: agent.id, message: 'first', timestamp: at(2) })]),
            store.applyStates([{ agent_id: agent.id, status: 'error', state: state({ health_score: 0.1 }) }], [{ ...existing, message: 'the same id again' }]),
            store.applyStates([{ agent_id: agent.id, state: state({ health_score: 0.75 }) }], [event({ agent_id: agent.id, message: 'third', timestamp: at(3) })]),
          ]);
          assert.deepEqual(
            results.map((r) => r.status),
            ['fulfilled', 'rejected', 'fulfilled'],
          );
          // The agent's own events only (registration may have written one of its own).
          const messages = (await store.listEvents({ limit: 100 })).filter((e) => e.type === 'agent_status_changed').map((e) => e.message);
          assert.deepEqual(messages.sort(), ['already there', 'first', 'third']);
          const now = await store.getAgent(agent.id);
          assert.equal(now?.status, 'warning', 'the refused call changed nothing; the third sets no status');
          assert.equal(now?.state.health_score, 0.75, 'the third call, the last written, gives the state');
        });

        it('writes only last_seen and status for a write without state, keeping the stored state', async () => {
          const agent = await register(store, { last_seen: at(10) });
          const kept = state({ health_score: 0.75, status_reason: 'healthy', snapshot: { kept: true } });
          await store.applyStates([{ agent_id: agent.id, state: kept }], []);
          await store.applyStates([{ agent_id: agent.id, last_seen: at(40), status: 'error' }], []);
          const now = await store.getAgent(agent.id);
          assert.equal(now?.last_seen, at(40));
          assert.equal(now?.status, 'error');
          assert.deepEqual(now?.state, kept);
          // Mixed in one batch with a later write that has state: the state is the last one given.
          const later = state({ health_score: 0.5, snapshot: { n: 3 } });
          await store.applyStates([{ agent_id: agent.id, state: later }, { agent_id: agent.id, status: 'warning' }], []);
          const after = await store.getAgent(agent.id);
          assert.equal(after?.status, 'warning');
          assert.deepEqual(after?.state, later);
        });

        it('applies several writes of one agent in order within one batch', async () => {
          const agent = await register(store, { last_seen: at(0) });
          const last = state({ health_score: 0.4, snapshot: { n: 2 } });
          await store.applyStates(
            [
              { agent_id: agent.id, last_seen: at(30), status: 'warning', state: state({ health_score: 0.9 }) },
              { agent_id: agent.id, last_seen: at(25), state: last },
            ],
            [],
          );
          const now = await store.getAgent(agent.id);
          assert.equal(now?.last_seen, at(30));
          assert.equal(now?.status, 'warning');
          assert.deepEqual(now?.state, last);
        });

        it('skips unknown agents silently and writes the events in the same call', async () => {
          const agent = await register(store);
          const changed = event({ agent_id: agent.id, timestamp: at(3), data: { from: 'unknown', to: 'online' } });
          await store.applyStates(
            [
              { agent_id: 'deleted-meanwhile', last_seen: at(3), status: 'online', state: state() },
              { agent_id: agent.id, last_seen: at(3), status: 'online', state: state({ health_score: 0.8 }) },
            ],
            [changed],
          );
          assert.equal(await store.getAgent('deleted-meanwhile'), null);
          assert.equal((await store.getAgent(agent.id))?.state.health_score, 0.8);
          assert.deepEqual(await store.listEvents({ limit: 10, type: 'agent_status_changed' }), [changed]);
          await store.applyStates([], []);
        });
      });

      // -------------------------------------------------------------- config and health checks

      it('replaces and reads back a config, custom thresholds included', async () => {
        const agent = await register(store);
        const custom = customConfig(agent.id);
        assert.deepEqual(await store.putConfig(custom), custom);
        const read = await store.getConfig(agent.id);
        assert.deepEqual(read, custom);
        assert.equal(typeof read?.custom_thresholds.latency_p99_ms, 'number');

        const plain = { ...defaultConfig(agent.id), cpu_threshold: 60 };
        assert.deepEqual(await store.putConfig(plain), plain);
        assert.deepEqual(await store.getConfig(agent.id), plain);
        assert.deepEqual((await store.getIngestContexts([agent.id])).get(agent.id)?.config, plain);

        assert.equal(await store.putConfig(customConfig('nobody')), null);
        assert.equal(await store.getConfig('nobody'), null);
      });

      it('keeps the latest result of each health check, ordered by name', async () => {
        const agent = await register(store);
        const db: HealthCheck = { name: 'db', status: false, message: 'connection refused', timestamp: at(1), execution_time_ms: 12.5 };
        const api: HealthCheck = { name: 'api', status: true, message: null, timestamp: at(1), execution_time_ms: 3 };
        await store.saveHealthChecks(agent.id, [db, api]);
        assert.deepEqual(await store.getHealthChecks(agent.id), [api, db]);

        const dbAgain: HealthCheck = { name: 'db', status: true, message: null, timestamp: '2026-01-01T01:00:02+01:00', execution_time_ms: 4 };
        const cache: HealthCheck = { name: 'cache', status: true, message: 'warm', timestamp: at(2), execution_time_ms: 0.5 };
        await store.saveHealthChecks(agent.id, [dbAgain, cache]);
        assert.deepEqual(await store.getHealthChecks(agent.id), [
          api,
          cache,
          { ...dbAgain, timestamp: '2026-01-01T00:00:02.000Z' },
        ]);

        await store.saveHealthChecks(agent.id, []);
        assert.equal((await store.getHealthChecks(agent.id)).length, 3);
        await store.saveHealthChecks('deleted-meanwhile', [api]);
        assert.deepEqual(await store.getHealthChecks('deleted-meanwhile'), []);
      });

      // -------------------------------------------------------------- alerts

      describe('alerts', () => {
        let agentA: string;
        let agentB: string;
        let a1: AlertRecord;
        let a2: AlertRecord;
        let a3: AlertRecord;
        let a4: AlertRecord;
        let a5: AlertRecord;

        beforeEach(async () => {
          agentA = (await register(store, { name: 'a' })).id;
          agentB = (await register(store, { name: 'b' })).id;
          a1 = alert({ id: 'alert-1', agent_id: agentA, severity: 'critical', created_at: at(1), updated_at: at(1) });
          a2 = alert({
            id: 'alert-2',
            agent_id: agentA,
            severity: 'warning',
            created_at: at(2),
            resolved_at: at(3),
            is_active: false,
            fingerprint: 'fp-a-memory',
            acknowledged_at: at(2.5),
            acknowledged_by: 'oncall@example.test',
            ack_comment: 'looking into it',
            updated_at: at(3),
            last_notified_at: at(2.25),
          });
          a3 = alert({ id: 'alert-3', agent_id: agentB, severity: 'critical', created_at: at(3), metric_name: null, threshold: null, current_value: null });
          a4 = alert({ id: 'alert-4', agent_id: agentA, severity: 'info', created_at: at(4) });
          a5 = alert({ id: 'alert-5', agent_id: agentB, severity: 'warning', created_at: at(4) });
          for (const x of [a3, a1, a5, a2, a4]) await store.insertAlert(x);
        });

        const ids = async (filter: Partial<AlertFilter>): Promise<string[]> =>
          (await store.listAlerts({ offset: 0, limit: 50, ...filter })).items.map((x) => x.id);

        it('reads an alert back as written, every field included', async () => {
          assert.deepEqual(await store.getAlert(a1.id), a1);
          assert.deepEqual(await store.getAlert(a2.id), a2);
          assert.deepEqual(await store.getAlert(a3.id), a3);
          assert.equal(await store.getAlert('nobody'), null);
        });

        it('stores alert timestamps given with an offset as UTC with milliseconds', async () => {
          const offset = alert({
            agent_id: agentA,
            created_at: '2026-01-01T02:00:00+02:00',
            updated_at: '2026-01-01T02:00:01.5+02:00',
            acknowledged_at: '2026-01-01T02:00:02+02:00',
            last_notified_at: '2026-01-01T02:00:03+02:00',
            resolved_at: '2026-01-01T02:00:04+02:00',
            is_active: false,
          });
          await store.insertAlert(offset);
          assert.deepEqual(await store.getAlert(offset.id), {
            ...offset,
            created_at: '2026-01-01T00:00:00.000Z',
            updated_at: '2026-01-01T00:00:01.500Z',
            acknowledged_at: '2026-01-01T00:00:02.000Z',
            last_notified_at: '2026-01-01T00:00:03.000Z',
            resolved_at: '2026-01-01T00:00:04.000Z',
          });
        });

        it('updates every field but the id, bookkeeping included, and back to null', async () => {
          const changed: AlertRecord = {
            ...a1,
            is_active: false,
            resolved_at: at(9),
            current_value: 42.5,
            title: 'CPU was high',
            severity: 'warning',
            fingerprint: 'fp-moved',
            acknowledged_at: at(8),
            acknowledged_by: 'me',
            ack_comment: 'known',
            updated_at: at(9),
            last_notified_at: at(8.5),
          };
          await store.updateAlert(changed);
          assert.deepEqual(await store.getAlert(a1.id), changed);
          assert.deepEqual(await ids({ active: true }), ['alert-5', 'alert-4', 'alert-3']);

          const cleared: AlertRecord = { ...a2, acknowledged_at: null, acknowledged_by: null, ack_comment: null, last_notified_at: null, updated_at: at(10) };
          await store.updateAlert(cleared);
          assert.deepEqual(await store.getAlert(a2.id), cleared);
        });

        it('lists newest first, ties by id, and filters', async () => {
          const all = await store.listAlerts({ offset: 0, limit: 50 });
          assert.equal(all.total, 5);
          assert.deepEqual(
            all.items.map((x) => x.id),
            ['alert-5', 'alert-4', 'alert-3', 'alert-2', 'alert-1'],
          );
          assert.deepEqual(all.items[3], a2);
          assert.deepEqual(await ids({ agent_id: agentA }), ['alert-4', 'alert-2', 'alert-1']);
          assert.deepEqual(await ids({ active: true }), ['alert-5', 'alert-4', 'alert-3', 'alert-1']);
          assert.deepEqual(await ids({ active: false }), ['alert-2']);
          assert.deepEqual(await ids({ severity: 'critical' }), ['alert-3', 'alert-1']);
          assert.deepEqual(await ids({ since: at(2) }), ['alert-5', 'alert-4', 'alert-3', 'alert-2']);
          assert.deepEqual(await ids({ until: at(3) }), ['alert-2', 'alert-1']);
          assert.deepEqual(await ids({ since: at(2), until: at(4) }), ['alert-3', 'alert-2']);
          assert.deepEqual(await ids({ agent_id: agentA, active: true, severity: 'info' }), ['alert-4']);
        });

        it('pages, every page counting the whole match', async () => {
          const second = await store.listAlerts({ offset: 1, limit: 2 });
          assert.equal(second.total, 5);
          assert.deepEqual(
            second.items.map((x) => x.id),
            ['alert-4', 'alert-3'],
          );
          const active = await store.listAlerts({ active: true, offset: 3, limit: 2 });
          assert.equal(active.total, 4);
          assert.deepEqual(
            active.items.map((x) => x.id),
            ['alert-1'],
          );
        });

        it('gets the active alerts of the given agents (all when null) by agent, then creation', async () => {
          const a0 = alert({ id: 'alert-0', agent_id: agentA, created_at: at(0.5), last_notified_at: at(0.75) });
          await store.insertAlert(a0);
          const ofA = [a0, a1, a4];
          const ofB = [a3, a5];
          const both = agentA < agentB ? [...ofA, ...ofB] : [...ofB, ...ofA];
          assert.deepEqual(await store.getActiveAlerts([agentA]), ofA);
          assert.deepEqual(await store.getActiveAlerts([agentB, 'nobody', agentA]), both);
          assert.deepEqual(await store.getActiveAlerts(null), both);
          assert.deepEqual(await store.getActiveAlerts([]), []);
          assert.deepEqual(await store.getActiveAlerts(['nobody']), []);

          await store.updateAlert(resolvedAt(a3, 9));
          assert.deepEqual(await store.getActiveAlerts([agentB]), [a5]);
        });

        it('refuses a second active alert with a fingerprint, while resolved ones may share it', async () => {
          const first = alert({ agent_id: agentA, fingerprint: 'fp-a-cpu' });
          await store.insertAlert(first);
          await assert.rejects(store.insertAlert(alert({ agent_id: agentA, fingerprint: 'fp-a-cpu' })));

          const old = alert({ agent_id: agentA, fingerprint: 'fp-a-cpu', is_active: false, resolved_at: at(1) });
          await store.insertAlert(old);
          await store.updateAlert(resolvedAt(first, 5));
          const next = alert({ agent_id: agentA, fingerprint: 'fp-a-cpu', created_at: at(6) });
          await store.insertAlert(next);
          assert.deepEqual(
            (await store.getActiveAlerts([agentA])).filter((x) => x.fingerprint === 'fp-a-cpu'),
            [next],
          );
        });
      });

      // -------------------------------------------------------------- alerts written with states

      describe('applyStates with alerts', () => {
        let agent: AgentRecord;

        beforeEach(async () => {
          agent = await register(store, { name: 'a' });
        });

        it('writes states, alert inserts and updates, and events together', async () => {
          const open = alert({ agent_id: agent.id, fingerprint: 'fp-mem', metric_name: 'memory_usage_percent', created_at: at(1) });
          await store.insertAlert(open);
          const fired = alert({ agent_id: agent.id, fingerprint: 'fp-cpu', created_at: at(2), updated_at: at(2), last_notified_at: at(2) });
          const done = { ...resolvedAt(open, 2), acknowledged_at: at(1.5), acknowledged_by: 'me', ack_comment: 'ok', last_notified_at: at(2) };
          const changed = event({ agent_id: agent.id, type: 'metric_threshold_exceeded', timestamp: at(2) });
          await store.applyStates(
            [{ agent_id: agent.id, last_seen: at(2), status: 'warning', state: state({ health_score: 0.3 }) }],
            [changed],
            { insert: [fired], update: [done] },
          );
          assert.equal((await store.getAgent(agent.id))?.state.health_score, 0.3);
          assert.deepEqual(await store.getAlert(fired.id), fired);
          assert.deepEqual(await store.getAlert(open.id), done);
          assert.deepEqual(await store.getActiveAlerts([agent.id]), [fired]);
          assert.deepEqual(await store.listEvents({ limit: 10, type: 'metric_threshold_exceeded' }), [changed]);

          await store.applyStates([], [], { insert: [], update: [] });
          await store.applyStates([], [], { insert: [], update: [{ ...fired, current_value: 99 }] });
          assert.equal((await store.getAlert(fired.id))?.current_value, 99);
        });

        it("refreshes an active alert's value, severity, text and bookkeeping, and never brings back one resolved meanwhile", async () => {
          const firing = alert({ agent_id: agent.id, fingerprint: 'fp-cpu', created_at: at(1), updated_at: at(1) });
          await store.applyStates([], [], { insert: [firing], update: [] });
          const refreshed: AlertRecord = {
            ...firing,
            current_value: 97,
            severity: 'critical',
            title: 'CPU critical',
            message: 'cpu_usage_percent is 97%',
            updated_at: at(2),
            last_notified_at: at(2),
          };
          await store.applyStates([], [], { insert: [], update: [refreshed] });
          assert.deepEqual(await store.getAlert(firing.id), refreshed);

          // A person resolves it; a batch computed before that still carries it as firing.
          const resolved = resolvedAt(refreshed, 3);
          await store.updateAlert(resolved);
          await store.applyStates([], [], { insert: [], update: [{ ...refreshed, current_value: 98, updated_at: at(4) }] });
          assert.deepEqual(await store.getAlert(firing.id), resolved, 'stays resolved, its values as the person left them');
          assert.deepEqual(await store.getActiveAlerts([agent.id]), []);

          // So a new alert of the fingerprint may fire, and a late refresh of the old one changes nothing.
          const next = alert({ agent_id: agent.id, fingerprint: 'fp-cpu', created_at: at(5) });
          await store.applyStates([], [], { insert: [next], update: [{ ...refreshed, updated_at: at(5) }] });
          assert.deepEqual(await store.getActiveAlerts([agent.id]), [next]);
          assert.deepEqual(await store.getAlert(firing.id), resolved);
        });

        it('skips an insert whose fingerprint already has an active alert, stored or earlier in the batch', async () => {
          const first = alert({ agent_id: agent.id, fingerprint: 'fp-cpu', created_at: at(1) });
          await store.applyStates([], [], { insert: [first], update: [] });

          const again = alert({ agent_id: agent.id, fingerprint: 'fp-cpu', created_at: at(2) });
          const other = alert({ agent_id: agent.id, fingerprint: 'fp-disk', created_at: at(2) });
          const twin = alert({ agent_id: agent.id, fingerprint: 'fp-disk', created_at: at(3) });
          await store.applyStates([{ agent_id: agent.id, state: state({ health_score: 0.2 }) }], [], { insert: [again, other, twin], update: [] });

          assert.equal(await store.getAlert(again.id), null);
          assert.equal(await store.getAlert(twin.id), null);
          assert.deepEqual(await store.getActiveAlerts([agent.id]), [first, other]);
          assert.equal((await store.getAgent(agent.id))?.state.health_score, 0.2, 'the rest of the batch still lands');
        });

        it('accepts a new active alert for a fingerprint once the old one is resolved, even in the same batch', async () => {
          const first = alert({ agent_id: agent.id, fingerprint: 'fp-cpu', created_at: at(1) });
          await store.applyStates([], [], { insert: [first], update: [] });
          const second = alert({ agent_id: agent.id, fingerprint: 'fp-cpu', created_at: at(3) });
          await store.applyStates([], [], { insert: [second], update: [resolvedAt(first, 2)] });
          assert.deepEqual(await store.getActiveAlerts([agent.id]), [second]);

          await store.applyStates([], [], { insert: [], update: [resolvedAt(second, 4)] });
          const third = alert({ agent_id: agent.id, fingerprint: 'fp-cpu', created_at: at(5) });
          await store.applyStates([], [], { insert: [third], update: [] });
          assert.deepEqual(await store.getActiveAlerts([agent.id]), [third]);
          assert.equal((await store.listAlerts({ agent_id: agent.id, offset: 0, limit: 10 })).total, 3);
        });

        it('skips alerts of an agent that is gone, writing the rest', async () => {
          const gone = await register(store, { name: 'gone' });
          const kept = alert({ agent_id: gone.id });
          await store.insertAlert(kept);
          assert.equal(await store.deleteAgent(gone.id, event({ type: 'agent_deregistered' })), true);

          const orphan = alert({ agent_id: gone.id });
          const never = alert({ agent_id: 'never-registered' });
          const fine = alert({ agent_id: agent.id });
          await store.applyStates(
            [
              { agent_id: gone.id, state: state() },
              { agent_id: agent.id, state: state({ health_score: 0.6 }) },
            ],
            [],
            { insert: [orphan, never, fine], update: [resolvedAt(kept, 3)] },
          );
          assert.equal(await store.getAlert(orphan.id), null);
          assert.equal(await store.getAlert(never.id), null);
          assert.equal(await store.getAlert(kept.id), null);
          assert.deepEqual(await store.getAlert(fine.id), fine);
          assert.equal((await store.getAgent(agent.id))?.state.health_score, 0.6);
        });

        it('writes nothing of the batch when one of its alerts fails', async () => {
          const taken = alert({ agent_id: agent.id });
          await store.insertAlert(taken);
          const fresh = alert({ agent_id: agent.id });
          const clash = alert({ id: taken.id, agent_id: agent.id });
          await assert.rejects(
            store.applyStates(
              [{ agent_id: agent.id, status: 'error', state: state({ health_score: 0.1 }) }],
              [event({ agent_id: agent.id, type: 'metric_threshold_exceeded' })],
              { insert: [fresh, clash], update: [] },
            ),
          );
          const now = await store.getAgent(agent.id);
          assert.equal(now?.status, 'unknown');
          assert.deepEqual(now?.state, NEW_STATE);
          assert.equal(await store.getAlert(fresh.id), null);
          assert.deepEqual(await store.getAlert(taken.id), taken);
          assert.deepEqual(await store.listEvents({ limit: 10, type: 'metric_threshold_exceeded' }), []);
        });
      });

      // -------------------------------------------------------------- retention

      describe('retention', () => {
        it('deletes resolved alerts of one agent created before the cutoff, at most limit at a time', async () => {
          const a = (await register(store, { name: 'a' })).id;
          const b = (await register(store, { name: 'b' })).id;
          const old = [1, 2, 3, 4, 5].map((m) => alert({ agent_id: a, created_at: at(m), is_active: false, resolved_at: at(m + 0.5) }));
          const atCutoff = alert({ agent_id: a, created_at: at(6), is_active: false, resolved_at: at(7) });
          const active = alert({ agent_id: a, created_at: at(1) });
          const otherAgent = alert({ agent_id: b, created_at: at(1), is_active: false, resolved_at: at(2) });
          for (const x of [...old, atCutoff, active, otherAgent]) await store.insertAlert(x);

          assert.equal(await store.deleteResolvedAlertsBefore(a, at(6), 0), 0);
          assert.equal(await store.deleteResolvedAlertsBefore(a, at(6), 2), 2);
          assert.equal((await store.listAlerts({ agent_id: a, offset: 0, limit: 50 })).total, 5);
          let rounds = 0;
          for (let n = -1; n !== 0; rounds += 1) n = await store.deleteResolvedAlertsBefore(a, at(6), 2);
          assert.equal(rounds, 3, 'two more rows, then one, then none');

          const left = (await store.listAlerts({ offset: 0, limit: 50 })).items.map((x) => x.id).sort();
          assert.deepEqual(left, [atCutoff.id, active.id, otherAgent.id].sort());
          assert.equal(await store.deleteResolvedAlertsBefore('nobody', at(60), 10), 0);
          assert.equal(await store.deleteResolvedAlertsBefore(b, '2026-01-01T01:00:00+01:00', 10), 0, 'the cutoff is a UTC instant');
          assert.equal(await store.deleteResolvedAlertsBefore(b, at(60), 10), 1);
        });

        it('deletes events of one agent, or of no agent, before the cutoff, at most limit at a time', async () => {
          const a = (await register(store, { name: 'a', registered_at: at(0) })).id;
          const b = (await register(store, { name: 'b', registered_at: at(0) })).id;
          // Registration wrote one event per agent at at(0).
          const ofA = [1, 2, 3, 4].map((m) => event({ agent_id: a, timestamp: at(m) }));
          const ofB = [1, 2].map((m) => event({ agent_id: b, timestamp: at(m) }));
          const ofNone = [1, 2, 5].map((m) => event({ agent_id: null, timestamp: at(m) }));
          await store.insertEvents([...ofA, ...ofB, ...ofNone]);
          const count = async (filter: Partial<EventFilter>): Promise<number> => (await store.listEvents({ limit: 100, ...filter })).length;

          assert.equal(await store.deleteEventsBefore(a, at(3), 0), 0);
          assert.equal(await store.deleteEventsBefore(a, at(3), 2), 2);
          assert.equal(await store.deleteEventsBefore(a, at(3), 2), 1);
          assert.equal(await store.deleteEventsBefore(a, at(3), 2), 0);
          assert.deepEqual(
            (await store.listEvents({ limit: 100, agent_id: a })).map((e) => e.id),
            [ofA[3]?.id, ofA[2]?.id],
          );
          assert.equal(await count({ agent_id: b }), 3, "the other agent's events stay");
          assert.equal(await count({}), 3 + 2 + 3);

          assert.equal(await store.deleteEventsBefore(null, at(5), 10), 2);
          assert.deepEqual(
            (await store.listEvents({ limit: 100 })).filter((e) => e.agent_id === null).map((e) => e.id),
            [ofNone[2]?.id],
          );
          assert.equal(await count({ agent_id: b }), 3, 'events of no agent are not events of every agent');
          assert.equal(await store.deleteEventsBefore(b, '2026-01-01T01:01:00+01:00', 10), 1, 'the cutoff is a UTC instant');
        });
      });

      // -------------------------------------------------------------- notification targets

      describe('notification targets', () => {
        it('inserts, lists by creation then id, gets and deletes', async () => {
          assert.deepEqual(await store.listNotificationTargets(), []);
          const slack = target({ id: 'target-b', name: 'team channel', kind: 'slack', url: 'https://hooks.slack.test/T/B/x', created_at: at(2) });
          const hook = target({ id: 'target-c', created_at: at(1) });
          const off = target({ id: 'target-a', name: 'paused', enabled: false, created_at: at(2) });
          for (const t of [slack, hook, off]) await store.insertNotificationTarget(t);

          assert.deepEqual(await store.listNotificationTargets(), [hook, off, slack]);
          assert.deepEqual(await store.getNotificationTarget('target-a'), off);
          assert.deepEqual(await store.getNotificationTarget('target-b'), slack);
          assert.equal(await store.getNotificationTarget('nobody'), null);

          assert.equal(await store.deleteNotificationTarget('target-c'), true);
          assert.equal(await store.deleteNotificationTarget('target-c'), false);
          assert.equal(await store.deleteNotificationTarget('nobody'), false);
          assert.deepEqual(await store.listNotificationTargets(), [off, slack]);
        });

        it('stores created_at as UTC and refuses an unknown kind or a taken id', async () => {
          const t = target({ created_at: '2026-01-01T02:00:00.25+02:00' });
          await store.insertNotificationTarget(t);
          assert.equal((await store.getNotificationTarget(t.id))?.created_at, '2026-01-01T00:00:00.250Z');
          await assert.rejects(store.insertNotificationTarget(target({ kind: 'email' as NotificationTarget['kind'] })));
          await assert.rejects(store.insertNotificationTarget(target({ id: t.id })));
          assert.equal((await store.listNotificationTargets()).length, 1);
        });
      });

      // -------------------------------------------------------------- locks

      describe('tryLock', () => {
        it('gives a name to one holder at a time, and again once released', async () => {
          const release = await store.tryLock('retention');
          assert.ok(release, 'a free lock is taken');
          assert.equal(await store.tryLock('retention'), null, 'a held lock is refused at once');
          const other = await store.tryLock('rollups');
          assert.ok(other, 'other names are other locks');

          await release();
          const again = await store.tryLock('retention');
          assert.ok(again, 'a released lock can be taken again');

          await release();
          assert.equal(await store.tryLock('retention'), null, "a second release must not free the next holder's lock");
          await again();
          await other();
          const last = await store.tryLock('retention');
          assert.ok(last);
          await last();
        });

        it('frees held locks when the store closes', async () => {
          assert.ok(await store.tryLock('held-at-close'));
        });
      });

      // -------------------------------------------------------------- events

      describe('events', () => {
        let agentA: string;
        let agentB: string;
        let e1: SystemEvent;
        let e2: SystemEvent;
        let e3: SystemEvent;
        let e4: SystemEvent;
        let e5: SystemEvent;

        beforeEach(async () => {
          agentA = (await register(store, { name: 'a' })).id;
          agentB = (await register(store, { name: 'b' })).id;
          // Registration wrote two events at at(0); these come after them.
          e1 = event({ id: 'event-1', type: 'agent_status_changed', agent_id: agentA, severity: 'info', timestamp: at(1) });
          e2 = event({ id: 'event-2', type: 'agent_status_changed', agent_id: agentA, severity: 'warning', timestamp: at(2) });
          e3 = event({ id: 'event-3', type: 'metric_threshold_exceeded', agent_id: agentB, severity: 'critical', timestamp: at(3) });
          e4 = event({
            id: 'event-4',
            type: 'system_error',
            agent_id: null,
            severity: 'error',
            timestamp: at(4),
            source: 'retention',
            message: 'retention sweep failed',
            data: { count: 3, ratio: 0.25, nested: { ok: false, list: [1, 'a', null] } },
          });
          e5 = event({ id: 'event-5', type: 'health_check_failed', agent_id: agentA, severity: 'warning', timestamp: at(4) });
          await store.insertEvents([e3, e1, e5, e2, e4]);
        });

        const ids = async (filter: Partial<EventFilter>): Promise<string[]> =>
          (await store.listEvents({ limit: 50, ...filter })).map((e) => e.id);

        it('lists newest first, ties by id, each event as written', async () => {
          const all = await store.listEvents({ limit: 50 });
          assert.equal(all.length, 7);
          assert.deepEqual(
            all.slice(0, 5).map((e) => e.id),
            ['event-5', 'event-4', 'event-3', 'event-2', 'event-1'],
          );
          assert.deepEqual(all[1], e4);
          assert.deepEqual(all[2], e3);
          assert.ok(all.slice(5).every((e) => e.type === 'agent_registered'));
        });

        it('filters by type, agent, severity and time, and limits', async () => {
          assert.deepEqual(await ids({ type: 'agent_status_changed' }), ['event-2', 'event-1']);
          assert.deepEqual(await ids({ agent_id: agentA, since: at(1) }), ['event-5', 'event-2', 'event-1']);
          assert.deepEqual(await ids({ agent_id: agentB, type: 'metric_threshold_exceeded' }), ['event-3']);
          assert.deepEqual(await ids({ severity: 'warning' }), ['event-5', 'event-2']);
          assert.deepEqual(await ids({ since: at(2), until: at(4) }), ['event-3', 'event-2']);
          assert.deepEqual(await ids({ since: at(4) }), ['event-5', 'event-4']);
          assert.deepEqual(await ids({ limit: 2 }), ['event-5', 'event-4']);
          assert.equal((await ids({ type: 'agent_registered', agent_id: agentB })).length, 1);
        });

        it('keeps an event naming an unknown agent, with agent_id null', async () => {
          const orphan = event({ id: 'event-orphan', agent_id: 'never-registered', timestamp: at(9) });
          await store.insertEvents([orphan]);
          await store.insertEvents([]);
          const [latest] = await store.listEvents({ limit: 1 });
          assert.deepEqual(latest, { ...orphan, agent_id: null });
        });
      });

      // -------------------------------------------------------------- settings

      it('stores settings as JSON, replacing on put', async () => {
        assert.equal(await store.getSetting('dashboard'), null);
        const dashboard = { refresh_interval_seconds: 30, chart_types: ['line', 'bar'], ratio: 0.5, nested: { on: true } };
        await store.putSetting('dashboard', dashboard);
        assert.deepEqual(await store.getSetting('dashboard'), dashboard);
        await store.putSetting('dashboard', { refresh_interval_seconds: 10 });
        assert.deepEqual(await store.getSetting('dashboard'), { refresh_interval_seconds: 10 });
        await store.putSetting('count', 42);
        assert.equal(await store.getSetting<number>('count'), 42);
        await store.putSetting('list', ['a', 1]);
        assert.deepEqual(await store.getSetting('list'), ['a', 1]);
        await store.putSetting('text', 'hello');
        assert.equal(await store.getSetting('text'), 'hello');
      });
    });
  });
}
