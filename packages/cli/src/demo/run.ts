/**
 * Runs the demo fleet in-process: each agent is a real AgentMonitor from the SDK, registered and
 * configured (short intervals) through the API, fed simulated resources through its `collect`
 * hook and simulated work through the same calls an agent makes (recordTask, recordTokens, ...).
 */
import {
  AgentMonitor,
  AgentmonClient,
  IntervalRecorder,
  isAgentmonError,
  sanitizeResources,
  type AgentIdentity,
  type HealthCheckFn,
  type ModelUsageInput,
} from '@agentmon/sdk';
import { MAX_METRICS_BATCH, type AgentInfoInput, type AgentMetrics } from '@agentmon/schema';
import type { Output } from '../output.js';
import { incidentAt, planFleet, type DemoAgentPlan, type IncidentKind } from './fleet.js';
import { dailyLoad, seededRandom, simulateResources, simulateTasks, type Random } from './simulate.js';

/** What the demo runs with. */
export interface DemoOptions {
  url: string;
  /** Admin token (a registration token works too, without the short intervals). */
  token: string;
  agents: number;
  /** Simulated seconds per real second for the daily curves. */
  speed: number;
  /** metrics_interval_seconds of each agent (health checks: at least 5 s, the schema's floor). */
  intervalSeconds: number;
  silentAfterMs?: number;
  incidentPeriodMs?: number;
  incidentDurationMs?: number;
  /** Hours of calm history to send before the fleet starts (0: none), so charts have a past. */
  historyHours?: number;
  io: Output;
}

/** A running demo. */
export interface RunningDemo {
  plans: DemoAgentPlan[];
  /** Stops every agent (flushing what they hold). */
  stop(): Promise<void>;
}

const clock = () => new Date().toISOString().slice(11, 19);

/** What simulated work is recorded into: the agent's AgentMonitor live, an IntervalRecorder for history. */
interface WorkRecorder {
  recordTask(durationMs: number, ok: boolean): void;
  recordTokens(count: number): void;
  recordModelUsage(usage: ModelUsageInput): void;
  recordApiCall(latencyMs: number): void;
  recordInference(durationMs: number): void;
  recordConfidence(score: number): void;
  setAccuracy(accuracy: number): void;
  setMetric(name: string, value: unknown): void;
  incrementMetric(name: string, by: number): void;
}

/** One simulated agent around its AgentMonitor. */
class DemoAgent {
  readonly rng: Random;
  monitor: AgentMonitor | null = null;
  silent = false;
  incident: IncidentKind | null = null;
  private lastCollectMs = Date.now();
  private diskBytes: number;
  private accuracy: number;

  constructor(
    readonly plan: DemoAgentPlan,
    readonly id: string,
    private readonly simNow: () => number,
  ) {
    this.rng = seededRandom(plan.seed);
    this.diskBytes = (4 + (plan.seed % 40)) * 1024 ** 3;
    this.accuracy = plan.profile.accuracy ?? 0;
  }

  get load(): number {
    return dailyLoad(this.simNow(), this.plan.region.utcOffset);
  }

  /** The `collect` hook: this interval's resource figures. */
  resources() {
    const now = Date.now();
    const interval = Math.max(1, now - this.lastCollectMs);
    this.lastCollectMs = now;
    this.diskBytes += interval * 0.002 * (1 + this.load) * 1024; // logs and caches grow
    return simulateResources(this.plan, this.load, this.incident, this.rng, interval, this.diskBytes);
  }

  /** Health checks: quick and passing, except the one planned to fail. */
  healthChecks(): Record<string, HealthCheckFn> {
    return Object.fromEntries(
      this.plan.checks.map((name): [string, HealthCheckFn] => [
        name,
        async () => {
          const failing = name === this.plan.failingCheck;
          await new Promise((resolve) => setTimeout(resolve, failing ? 250 + this.rng() * 100 : 3 + this.rng() * 60));
          if (failing) return { status: false, message: `${name}: connection refused (10.0.${this.plan.index % 250}.7:6333)` };
          return this.incident === 'latency' && name.includes('api') ? { status: true, message: 'slow answers' } : true;
        },
      ]),
    );
  }

  /** One second of work, recorded as an agent records it. */
  work(seconds: number): void {
    if (!this.monitor || this.silent) return;
    this.record(this.monitor, seconds, this.load, this.incident, this.rng);
  }

  /** `seconds` of work at `load` into `m`. */
  private record(m: WorkRecorder, seconds: number, load: number, incident: IncidentKind | null, rng: Random): void {
    const p = this.plan.profile;
    const tasks = simulateTasks(this.plan, load, incident, rng, seconds);
    const model = this.plan.model;
    for (const t of tasks) {
      m.recordTask(t.durationMs, t.ok);
      if (t.tokens > 0 && model !== null) {
        // Prompts (instructions, retrieved context, history) outweigh answers about three to one.
        const input = Math.round(t.tokens * 0.75);
        m.recordModelUsage({ model, provider: providerOf(model), inputTokens: input, outputTokens: t.tokens - input, calls: Math.max(1, t.apiLatenciesMs.length) });
      } else if (t.tokens > 0) m.recordTokens(t.tokens);
      for (const latency of t.apiLatenciesMs) m.recordApiCall(latency);
      if (t.inferenceMs !== null) m.recordInference(t.inferenceMs);
      if (t.confidence !== null) m.recordConfidence(t.confidence);
    }
    if (p.accuracy !== null) {
      // Accuracy drifts slowly, and sags while the model is overloaded.
      const target = p.accuracy - (incident ? 0.04 : 0);
      this.accuracy += (target - this.accuracy) * 0.05 + (rng() - 0.5) * 0.002;
      m.setAccuracy(this.accuracy);
    }
    const queue = Math.max(0, Math.round(p.tasksPerSecond * load * 3 * (incident === 'latency' ? 6 : 1) * rng()));
    switch (this.plan.type) {
      case 'llm_agent':
        m.setMetric('queue_depth', queue);
        break;
      case 'chatbot':
        m.setMetric('conversations_active', Math.round(40 * load * (0.8 + 0.4 * rng())));
        m.setMetric('csat', Math.round((4.6 - (incident ? 0.5 : 0) - rng() * 0.2) * 100) / 100);
        break;
      case 'ml_model':
        m.setMetric('feature_drift', Math.round((0.02 + (incident ? 0.06 : 0) + rng() * 0.01) * 1000) / 1000);
        break;
      case 'api_agent':
        m.setMetric('cache_hit_ratio', Math.round((0.82 + rng() * 0.1 - (incident ? 0.3 : 0)) * 1000) / 1000);
        break;
      case 'workflow_agent':
        m.setMetric('queue_depth', queue);
        m.incrementMetric('steps_completed', tasks.length * 5);
        break;
      case 'custom':
        m.incrementMetric('items_processed', tasks.length);
        break;
    }
  }
  /**
   * Calm history (daily curves, no incidents, no health checks) from `fromMs` to `toMs`, one payload
   * every `stepMs`. Work is simulated over a sample of each step (enough for a few hundred tasks)
   * and its counts scaled to the whole step, so a day of a busy fleet takes seconds to make.
   */
  history(fromMs: number, toMs: number, stepMs: number): AgentMetrics[] {
    const rng = seededRandom(this.plan.seed ^ 0x5eed);
    const p = this.plan.profile;
    const sampleMs = Math.min(stepMs, Math.max(15_000, (400 / p.tasksPerSecond) * 1000));
    const scale = stepMs / sampleMs;
    const steps = Math.max(0, Math.floor((toMs - fromMs) / stepMs));
    let disk = this.diskBytes - steps * stepMs * 0.002 * 1.5 * 1024;
    const scaled = (n: number | null | undefined) => (n === null || n === undefined ? n : Math.round(n * scale));
    const out: AgentMetrics[] = [];
    for (let k = 1; k <= steps; k++) {
      const t = fromMs + k * stepMs;
      const load = dailyLoad(t, this.plan.region.utcOffset);
      disk += stepMs * 0.002 * (1 + load) * 1024;
      const recorder = new IntervalRecorder(t - sampleMs);
      if (p.contextLength !== null) recorder.setContextLength(p.contextLength);
      if (this.plan.model) recorder.setMetric('model', this.plan.model);
      this.record(scaledCounters(recorder, scale), sampleMs / 1000, load, null, rng);
      const { performance, ai, custom, modelUsage } = recorder.take(t, (t - fromMs) / 1000);
      out.push({
        agent_id: this.id,
        timestamp: new Date(t).toISOString(),
        resource_metrics: sanitizeResources(simulateResources(this.plan, load, null, rng, stepMs, disk)),
        performance_metrics: {
          ...performance,
          tasks_completed: scaled(performance.tasks_completed) ?? 0,
          tasks_failed: scaled(performance.tasks_failed) ?? 0,
        },
        ai_metrics: ai
          ? { ...ai, tokens_processed: scaled(ai.tokens_processed) ?? null, api_calls_made: scaled(ai.api_calls_made) ?? null }
          : null,
        custom_metrics: custom,
        health_checks: {},
        alerts: [],
        ...(modelUsage.length > 0
          ? {
              model_usage: modelUsage.map((u) => ({
                ...u,
                input_tokens: scaled(u.input_tokens) ?? 0,
                output_tokens: scaled(u.output_tokens) ?? 0,
                ...(u.calls === undefined ? {} : { calls: Math.round(u.calls * scale) }),
              })),
            }
          : {}),
      });
    }
    return out;
  }
}

/** `m` with the custom counters scaled (work simulated over `1 / scale` of an interval stands for all of it). */
function scaledCounters(m: IntervalRecorder, scale: number): WorkRecorder {
  return {
    recordTask: (durationMs, ok) => m.recordTask(durationMs, ok),
    recordTokens: (count) => m.recordTokens(count),
    // Usage is scaled after take(), with tokens_processed.
    recordModelUsage: (usage) => m.recordModelUsage(usage),
    recordApiCall: (latencyMs) => m.recordApiCall(latencyMs),
    recordInference: (durationMs) => m.recordInference(durationMs),
    recordConfidence: (score) => m.recordConfidence(score),
    setAccuracy: (accuracy) => m.setAccuracy(accuracy),
    setMetric: (name, value) => m.setMetric(name, value),
    incrementMetric: (name, by) => m.incrementMetric(name, Math.round(by * scale * 10_000) / 10_000),
  };
}

/** The AgentInfo the demo registers for a plan. */
export function agentInfo(plan: DemoAgentPlan): AgentInfoInput & AgentIdentity {
  return {
    name: plan.name,
    type: plan.type,
    version: plan.version,
    deployment_type: plan.deploymentType,
    host: plan.host,
    environment: plan.environment,
    description: `agentmon demo: a simulated ${plan.type.replace('_', ' ')} of the ${plan.team} team`,
    tags: plan.tags,
    metadata: { demo: true, team: plan.team, region: plan.region.name, ...(plan.model ? { model: plan.model } : {}) },
    config: plan.model ? { model: plan.model } : {},
  };
}

/** Runs `fn` over `items`, `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

function summary(plans: DemoAgentPlan[], key: (p: DemoAgentPlan) => string): string {
  const counts = new Map<string, number>();
  for (const p of plans) counts.set(key(p), (counts.get(key(p)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

/** One payload per agent every 5 minutes, coarser for big fleets: a history of at most ~40,000 payloads. */
export function historyStepMs(hours: number, agents: number): number {
  const five = 300_000;
  return Math.max(1, Math.ceil((hours * 3_600_000 * agents) / 40_000 / five)) * five;
}

/**
 * Sends `hours` of calm history for the agents that have no data in that window yet (a demo started
 * again on the same server does not pile a second past on the first). Alerts are held while it goes
 * in (a breach must last a day of server time), so noise in the past never pages now; then the
 * demo's own pending period (`pendingSeconds`) is back.
 */
async function sendHistory(admin: AgentmonClient, agents: readonly DemoAgent[], hours: number, pendingSeconds: number, io: Output): Promise<void> {
  const endMs = Date.now();
  const fromMs = endMs - hours * 3_600_000;
  const known = await admin.queryMetrics({
    agent_ids: agents.map((a) => a.id),
    metric_names: ['cpu_usage_percent'],
    aggregation: 'count',
    start_time: new Date(fromMs).toISOString(),
    end_time: new Date(endMs).toISOString(),
  });
  const hasPast = new Set(known.data.filter((r) => Number(r.cpu_usage_percent) > 0).map((r) => String(r.agent_id)));
  const fresh = agents.filter((a) => !hasPast.has(a.id));
  if (fresh.length === 0) return;
  const stepMs = historyStepMs(hours, fresh.length);
  const started = Date.now();
  await eachLimited(fresh, 4, async (a) => {
    await admin.patchConfig(a.id, { alert_pending_seconds: 86_400 });
  });
  let sent = 0;
  try {
    const pasts = fresh.map((a) => a.history(fromMs, endMs, stepMs));
    // Time-major batches: every agent's step k before anyone's step k + 1, as a relay would send.
    const steps = Math.max(0, ...pasts.map((h) => h.length));
    const payloads: AgentMetrics[] = [];
    for (let k = 0; k < steps; k++) for (const h of pasts) if (h[k]) payloads.push(h[k] as AgentMetrics);
    const batch = MAX_METRICS_BATCH / 2;
    for (let i = 0; i < payloads.length; i += batch) {
      await admin.sendMetricsBatch(payloads.slice(i, i + batch));
      sent += Math.min(batch, payloads.length - i);
    }
  } finally {
    await eachLimited(fresh, 4, async (a) => {
      await admin.patchConfig(a.id, { alert_pending_seconds: pendingSeconds });
    });
  }
  io.out(
    `agentmon demo: sent ${hours} h of history for ${fresh.length} agent(s), one payload every ${stepMs / 60_000} min ` +
      `(${sent.toLocaleString('en-US')} payloads in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
}

/** Registers and configures the fleet, then starts it. Fails (with the API's error) when the server refuses. */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const { io } = options;
  const admin = new AgentmonClient({ url: options.url, token: options.token });
  const plans = planFleet(options.agents, {
    ...(options.silentAfterMs !== undefined ? { silentAfterMs: options.silentAfterMs } : {}),
    ...(options.incidentPeriodMs !== undefined ? { incidentPeriodMs: options.incidentPeriodMs } : {}),
    ...(options.incidentDurationMs !== undefined ? { incidentDurationMs: options.incidentDurationMs } : {}),
  });
  const startWall = Date.now();
  // A breach must hold for two reports: an incident pages, one unlucky interval of a slow agent does not.
  const pendingSeconds = 2 * options.intervalSeconds;
  const simNow = () => startWall + (Date.now() - startWall) * options.speed;
  const agents: DemoAgent[] = [];
  let configRefused = false;

  await eachLimited(plans, 4, async (plan) => {
    const registered = await admin.registerAgent(agentInfo(plan));
    try {
      await admin.patchConfig(registered.agent_id, {
        metrics_interval_seconds: options.intervalSeconds,
        health_check_interval_seconds: Math.min(300, Math.max(5, options.intervalSeconds)),
        enable_ai_monitoring: plan.profile.tokensPerTask !== null || plan.profile.inferenceMs !== null,
        alert_pending_seconds: pendingSeconds,
      });
      const detail = await admin.getAgent(registered.agent_id);
      if (plan.maintenance !== (detail.status === 'maintenance')) {
        await admin.updateAgent(registered.agent_id, { status: plan.maintenance ? 'maintenance' : 'online' });
      }
    } catch (err) {
      // A registration token may register but not configure: the agents then report at the default intervals.
      if (!(isAgentmonError(err) && err.status === 403)) throw err;
      configRefused = true;
    }
    agents.push(new DemoAgent(plan, registered.agent_id, simNow));
  });
  agents.sort((a, b) => a.plan.index - b.plan.index);
  if (configRefused) io.err('agentmon demo: this token cannot change agents\' config; they report at the default intervals (use the admin token)\n');
  const hours = options.historyHours ?? 0;
  if (hours > 0 && configRefused) io.err('agentmon demo: no history sent (it needs the admin token)\n');
  else if (hours > 0) await sendHistory(admin, agents, hours, pendingSeconds, io);

  let errors = 0;
  let lastError = '';
  for (const agent of agents) {
    agent.monitor = new AgentMonitor({
      url: options.url,
      token: options.token,
      agent: { ...agentInfo(agent.plan), id: agent.id },
      collect: () => agent.resources(),
      healthChecks: agent.healthChecks(),
      healthCheckTimeoutMs: 2000,
      retry: { initialDelayMs: 500, maxDelayMs: 15_000 },
      onError: (err, ctx) => {
        if (ctx.operation === 'health_check') return;
        errors += 1;
        lastError = `${agent.plan.name}: ${ctx.operation}: ${err.message}`;
      },
    });
    // Only agents that talk to a language model have a context length.
    if (agent.plan.profile.contextLength !== null) agent.monitor.setContextLength(agent.plan.profile.contextLength);
    if (agent.plan.model) agent.monitor.setMetric('model', agent.plan.model);
  }
  await Promise.all(agents.map((a) => a.monitor?.start()));

  io.out(
    `agentmon demo: ${agents.length} agents reporting to ${options.url} every ${options.intervalSeconds} s (simulated time x${options.speed})\n` +
      `  types: ${summary(plans, (p) => p.type)}\n` +
      `  deployments: ${summary(plans, (p) => p.deploymentType)}\n` +
      `  environments: ${summary(plans, (p) => p.environment)}\n` +
      plans
        .filter((p) => p.failingCheck)
        .map((p) => `  failing health check: ${p.name} (${p.failingCheck})\n`)
        .join('') +
      plans
        .filter((p) => p.maintenance)
        .map((p) => `  in maintenance: ${p.name}\n`)
        .join('') +
      plans
        .filter((p) => p.silentAfterMs !== null)
        .map((p) => `  goes silent after ${Math.round((p.silentAfterMs ?? 0) / 1000)} s: ${p.name}\n`)
        .join(''),
  );

  let lastWork = Date.now();
  let lastErrorReport = Date.now();
  const tick = () => {
    const now = Date.now();
    const seconds = (now - lastWork) / 1000;
    lastWork = now;
    const elapsed = now - startWall;
    for (const agent of agents) {
      if (agent.silent) continue;
      const incident = incidentAt(agent.plan, elapsed);
      const kind = incident?.kind ?? null;
      if (kind !== agent.incident) {
        if (kind) io.out(`${clock()} incident: ${kind.replace('_', ' ')} on ${agent.plan.name} (${agent.plan.environment}) for ${Math.round((incident?.endsInMs ?? 0) / 1000)} s\n`);
        else if (agent.incident) io.out(`${clock()} recovered: ${agent.plan.name} (${agent.incident.replace('_', ' ')})\n`);
        agent.incident = kind;
      }
      if (agent.plan.silentAfterMs !== null && elapsed >= agent.plan.silentAfterMs) {
        agent.silent = true;
        void agent.monitor?.stop({ timeoutMs: 2000 });
        io.out(`${clock()} silent: ${agent.plan.name} stopped reporting; it shows offline after 3 missed intervals\n`);
        continue;
      }
      agent.work(seconds);
    }
    if (errors > 0 && now - lastErrorReport >= 30_000) {
      io.err(`agentmon demo: ${errors} reporting error(s) in the last ${Math.round((now - lastErrorReport) / 1000)} s; last: ${lastError}\n`);
      errors = 0;
      lastErrorReport = now;
    }
  };
  // Kept referenced on purpose: the demo runs until it is stopped.
  const timer = setInterval(tick, 1000);

  return {
    plans,
    async stop() {
      clearInterval(timer);
      await Promise.all(agents.map((a) => a.monitor?.stop({ timeoutMs: 3000 })));
    },
  };
}

/** The provider of a demo model, by its name. */
function providerOf(model: string): string {
  if (model.startsWith('gpt-') || /^o[0-9]/.test(model)) return 'openai';
  if (model.startsWith('claude-')) return 'anthropic';
  if (model.startsWith('mistral-')) return 'mistral';
  return 'self-hosted';
}
