/**
 * A demo fleet for the browser tests and for looking at the dashboard: agents of every type,
 * hours of metrics history posted through the HTTP API (batches with past timestamps), a few
 * agents breaching thresholds so alerts exist, a failing health check, one agent in maintenance
 * and one that never reported.
 */
import { seededRandom as random } from '@agentmon/server/testing';

/** What seeding made. */
export interface Fleet {
  agents: SeededAgent[];
  /** Agent by name. */
  byName: Map<string, SeededAgent>;
}

/** One seeded agent. */
export interface SeededAgent {
  id: string;
  name: string;
  type: string;
  environment: string;
  apiKey: string;
  /** What the seed made it do. */
  role: 'healthy' | 'cpu' | 'errors' | 'slow' | 'memory' | 'check' | 'maintenance' | 'silent' | 'counter';
}

const AGENTS: { name: string; type: string; role: SeededAgent['role']; tags: string[] }[] = [
  { name: 'support-bot', type: 'chatbot', role: 'healthy', tags: ['support', 'gpt-4o'] },
  { name: 'code-reviewer', type: 'llm_agent', role: 'healthy', tags: ['engineering', 'claude'] },
  { name: 'fraud-scorer', type: 'ml_model', role: 'cpu', tags: ['payments', 'xgboost'] },
  { name: 'invoice-extractor', type: 'llm_agent', role: 'healthy', tags: ['finance'] },
  { name: 'search-ranker', type: 'ml_model', role: 'healthy', tags: ['search'] },
  { name: 'triage-agent', type: 'workflow_agent', role: 'errors', tags: ['support'] },
  { name: 'doc-summarizer', type: 'llm_agent', role: 'healthy', tags: ['docs'] },
  { name: 'sql-copilot', type: 'llm_agent', role: 'slow', tags: ['analytics'] },
  { name: 'voice-assistant', type: 'chatbot', role: 'healthy', tags: ['voice'] },
  { name: 'recommendation-model', type: 'ml_model', role: 'memory', tags: ['shop'] },
  { name: 'etl-orchestrator', type: 'workflow_agent', role: 'counter', tags: ['data'] },
  { name: 'rag-retriever', type: 'api_agent', role: 'check', tags: ['search', 'vector-db'] },
  { name: 'email-router', type: 'api_agent', role: 'healthy', tags: ['support'] },
  { name: 'translation-api', type: 'api_agent', role: 'healthy', tags: ['i18n'] },
  { name: 'churn-predictor', type: 'ml_model', role: 'maintenance', tags: ['growth'] },
  { name: 'onboarding-guide', type: 'chatbot', role: 'healthy', tags: ['growth'] },
  { name: 'contract-analyzer', type: 'llm_agent', role: 'healthy', tags: ['legal'] },
  { name: 'image-tagger', type: 'ml_model', role: 'healthy', tags: ['media'] },
  { name: 'release-notes-writer', type: 'llm_agent', role: 'silent', tags: ['engineering'] },
  { name: 'billing-reconciler', type: 'workflow_agent', role: 'healthy', tags: ['finance'] },
  { name: 'sentiment-model', type: 'ml_model', role: 'healthy', tags: ['support'] },
  { name: 'sales-assistant', type: 'chatbot', role: 'healthy', tags: ['sales'] },
  { name: 'log-anomaly-detector', type: 'custom', role: 'healthy', tags: ['sre'] },
  { name: 'ticket-classifier', type: 'ml_model', role: 'healthy', tags: ['support'] },
  { name: 'research-agent', type: 'llm_agent', role: 'healthy', tags: ['research'] },
  { name: 'webhook-relay', type: 'api_agent', role: 'healthy', tags: ['platform'] },
  { name: 'pricing-optimizer', type: 'custom', role: 'healthy', tags: ['shop'] },
  { name: 'meeting-notes-bot', type: 'chatbot', role: 'healthy', tags: ['productivity'] },
  { name: 'qa-test-generator', type: 'llm_agent', role: 'healthy', tags: ['engineering'] },
  { name: 'data-quality-checker', type: 'workflow_agent', role: 'healthy', tags: ['data'] },
];

const ENVIRONMENTS = ['production', 'production', 'staging', 'production', 'dev'];
const DEPLOYMENTS = ['kubernetes', 'docker', 'cloud', 'serverless', 'local'];
const GB = 1024 ** 3;

async function call<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** One payload of agent `i` at time `t` (ms), `k` steps into its history. */
export function payload(agent: { id: string; type: string; role: SeededAgent['role'] }, i: number, t: number, k: number, breach: boolean, rnd: () => number) {
  const hours = t / 3_600_000;
  const w = Math.sin(2 * Math.PI * (hours / 3 + i / 7));
  const w2 = Math.sin(2 * Math.PI * (hours / 0.7 + i / 3));
  const noise = () => rnd() - 0.5;
  const baseCpu = 18 + ((i * 13) % 35);
  let cpu = baseCpu + 12 * w + 4 * w2 + 6 * noise();
  let memPct = 35 + ((i * 7) % 30) + 6 * w + 2 * noise();
  let rt = (220 + ((i * 97) % 900)) * (1 + 0.25 * w + 0.1 * noise());
  const tput = (1.5 + ((i * 3) % 9)) * (1 + 0.35 * w + 0.1 * noise());
  let err = Math.max(0, 0.004 + 0.006 * w2 + 0.004 * noise());
  if (breach) {
    if (agent.role === 'cpu') cpu = 94 + 4 * rnd();
    if (agent.role === 'errors') err = 0.16 + 0.04 * rnd();
    if (agent.role === 'slow') rt = 6500 + 900 * rnd();
    if (agent.role === 'memory') memPct = 88.5 + 2 * rnd();
  }
  cpu = Math.min(99.5, Math.max(0.5, cpu));
  memPct = Math.min(99, Math.max(1, memPct));
  const totalMem = (4 + (i % 4) * 4) * GB;
  const perMinute = tput * 60;
  const failed = Math.round(perMinute * err);
  const completed = Math.max(0, Math.round(perMinute) - failed);
  const llm = agent.type === 'llm_agent' || agent.type === 'chatbot';
  const ml = agent.type === 'ml_model';
  const tps = llm ? (40 + ((i * 11) % 80)) * (1 + 0.3 * w + 0.1 * noise()) : null;
  return {
    agent_id: agent.id,
    timestamp: new Date(t).toISOString(),
    resource_metrics: {
      cpu_usage_percent: Math.round(cpu * 10) / 10,
      memory_usage_bytes: Math.round((memPct / 100) * totalMem),
      memory_usage_percent: Math.round(memPct * 10) / 10,
      disk_usage_bytes: Math.round((20 + i) * GB),
      network_io_rx_bytes: Math.round((2 + w + rnd()) * 1024 * 1024),
      network_io_tx_bytes: Math.round((1 + 0.5 * w + rnd()) * 1024 * 1024),
      ...(ml ? { gpu_usage_percent: Math.round(Math.min(100, Math.max(0, 45 + 25 * w + 5 * noise())) * 10) / 10, gpu_memory_usage_bytes: 6 * GB } : {}),
    },
    performance_metrics: {
      // The counter agent reports running totals; the others report what they did since the last payload.
      tasks_completed: agent.role === 'counter' ? 1000 + k * 95 + Math.round(rnd() * 10) : completed,
      tasks_failed: agent.role === 'counter' ? 10 + Math.floor(k / 12) : failed,
      tasks_pending: Math.round(3 + 4 * (w2 + 1)),
      average_response_time_ms: Math.round(rt),
      throughput_per_second: Math.round(tput * 100) / 100,
      error_rate: Math.round(Math.min(1, err) * 10_000) / 10_000,
      success_rate: Math.round((1 - Math.min(1, err)) * 10_000) / 10_000,
      uptime_seconds: 3600 * 24 + k * 60,
    },
    ai_metrics: llm
      ? {
          model_inference_time_ms: Math.round(rt * 0.7),
          tokens_processed: Math.round((tps ?? 0) * 60),
          tokens_per_second: Math.round((tps ?? 0) * 10) / 10,
          context_length: 2000 + ((i * 997) % 6000),
          api_calls_made: Math.round(perMinute),
          api_call_latency_ms: Math.round(rt * 0.45),
        }
      : ml
        ? {
            model_inference_time_ms: Math.round(20 + 10 * w + 5 * rnd()),
            model_accuracy: Math.round((0.9 + 0.03 * w2 + 0.01 * noise()) * 1000) / 1000,
            confidence_score: Math.round((0.82 + 0.05 * w + 0.02 * noise()) * 1000) / 1000,
          }
        : null,
    custom_metrics: { queue_depth: Math.round(5 + 5 * (w2 + 1)), ...(llm ? { cost_usd: Math.round(tput * 60 * 0.002 * 10_000) / 10_000 } : {}) },
    health_checks: { llm_api: true, ...(agent.role === 'check' ? { vector_db: !breach } : {}) },
  };
}

/**
 * Registers the fleet and posts `hours` of history, one payload every `stepSeconds`, ending now;
 * breaching agents breach in their last `breachMinutes`.
 */
export async function seedFleet(
  base: string,
  adminToken: string,
  options: { count?: number; hours?: number; stepSeconds?: number; breachMinutes?: number; seed?: number } = {},
): Promise<Fleet> {
  const { count = AGENTS.length, hours = 6, stepSeconds = 60, breachMinutes = 20, seed = 42 } = options;
  const rnd = random(seed);
  const agents: SeededAgent[] = [];
  for (let i = 0; i < count; i++) {
    const spec = AGENTS[i % AGENTS.length] as (typeof AGENTS)[number];
    const name = i < AGENTS.length ? spec.name : `${spec.name}-${Math.floor(i / AGENTS.length) + 1}`;
    const environment = ENVIRONMENTS[i % ENVIRONMENTS.length] as string;
    const reg = await call<{ agent_id: string; api_key: string }>(base, adminToken, 'POST', '/agents', {
      name,
      type: spec.type,
      version: `${1 + (i % 3)}.${(i * 7) % 10}.${i % 5}`,
      description: null,
      deployment_type: DEPLOYMENTS[i % DEPLOYMENTS.length],
      host: `${name}-${(0x7f9c + i * 4099).toString(16)}`,
      port: 8000 + i,
      environment,
      tags: spec.tags,
    });
    agents.push({ id: reg.agent_id, name, type: spec.type, environment, apiKey: reg.api_key, role: i < AGENTS.length ? spec.role : 'healthy' });
  }

  const now = Date.now();
  const steps = Math.floor((hours * 3600) / stepSeconds);
  const reporting = agents.filter((a) => a.role !== 'silent');
  let batch: unknown[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await call(base, adminToken, 'POST', '/metrics', batch);
    batch = [];
  };
  for (let k = 0; k <= steps; k++) {
    const t = now - (steps - k) * stepSeconds * 1000;
    const breach = now - t < breachMinutes * 60_000;
    for (const a of reporting) {
      batch.push(payload(a, agents.indexOf(a), t, k, breach, rnd));
      if (batch.length >= 1000) await flush();
    }
  }
  await flush();

  for (const a of agents) {
    if (a.role === 'silent') continue;
    const failing = a.role === 'check';
    await call(base, adminToken, 'POST', `/agents/${a.id}/health`, [
      { name: 'llm_api', status: true, execution_time_ms: 80 + (agents.indexOf(a) % 7) * 20, message: 'provider answered' },
      {
        name: 'vector_db',
        status: !failing,
        execution_time_ms: failing ? 5000 : 12.5,
        message: failing ? 'connection refused: qdrant:6333 (timeout after 5 s)' : null,
      },
      { name: 'disk_space', status: true, execution_time_ms: 1.2 },
    ]);
  }
  for (const a of agents.filter((x) => x.role === 'maintenance')) {
    await call(base, adminToken, 'PATCH', `/agents/${a.id}`, { status: 'maintenance' });
  }
  return { agents, byName: new Map(agents.map((a) => [a.name, a])) };
}

/** Posts one payload for `agent` now (as the agent itself would). */
export async function postNow(base: string, agent: SeededAgent, index: number, breach: boolean, seed = 7): Promise<void> {
  const body = payload(agent, index, Date.now(), 10_000, breach, random(seed));
  await call(base, agent.apiKey, 'POST', `/agents/${agent.id}/metrics`, body);
}

/** A tiny client for the tests' own API calls. */
export function api(base: string, token: string) {
  return <T>(method: string, path: string, body?: unknown) => call<T>(base, token, method, path, body);
}
