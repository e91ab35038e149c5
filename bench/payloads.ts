/**
 * A simulated fleet: agent registrations and AgentMetrics payloads with values that move like real
 * ones (a daily cycle, noise, rare spikes), so the server's alert rules, health score and storage see
 * the mix they would see in production, not one constant row repeated.
 */
import {
  AGENT_TYPES,
  DEPLOYMENT_TYPES,
  type AgentInfoInput,
  type AgentMetrics,
  type AgentType,
  type DeploymentType,
  type AIMetrics,
} from '@agentmon/schema';
import { seededRandom } from '@agentmon/server/testing';

/** A seeded PRNG (mulberry32): the same run sends the same data, so runs compare. */
export const prng = seededRandom;

/** What makes one simulated agent's numbers its own. */
export interface AgentProfile {
  index: number;
  type: AgentType;
  deployment: DeploymentType;
  environment: string;
  cpuBase: number;
  cpuSwing: number;
  memTotalBytes: number;
  memBasePct: number;
  diskBytes: number;
  gpu: boolean;
  latencyBaseMs: number;
  errorRate: number;
  tasksPerStep: number;
  tokensPerSecond: number;
  /** Seconds the agent had been up when the simulated day starts. */
  upSinceS: number;
  /** Phase of its daily cycle, radians (fleets span time zones). */
  phase: number;
}

const ENVIRONMENTS = ['production', 'production', 'production', 'production', 'production', 'production', 'production', 'staging', 'staging', 'development'];
const GIB = 1024 ** 3;

/** `count` agent profiles, deterministic for a seed. */
export function makeFleet(count: number, seed = 42): AgentProfile[] {
  const r = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  return Array.from({ length: count }, (_, index) => {
    const type = pick(AGENT_TYPES);
    const llmish = type === 'llm_agent' || type === 'chatbot' || type === 'ml_model';
    return {
      index,
      type,
      deployment: pick(DEPLOYMENT_TYPES),
      environment: pick(ENVIRONMENTS),
      cpuBase: 10 + r() * 45,
      cpuSwing: 5 + r() * 15,
      memTotalBytes: pick([2, 4, 8, 16, 32]) * GIB,
      memBasePct: 30 + r() * 35,
      diskBytes: Math.round((5 + r() * 95) * GIB),
      gpu: llmish && r() < 0.6,
      latencyBaseMs: llmish ? 400 + r() * 1800 : 30 + r() * 300,
      errorRate: r() < 0.9 ? r() * 0.02 : 0.02 + r() * 0.05,
      tasksPerStep: 20 + r() * 480,
      tokensPerSecond: 20 + r() * 100,
      upSinceS: Math.round(r() * 30 * 86_400),
      phase: r() * 2 * Math.PI,
    };
  });
}

/** The registration body of a simulated agent. */
export function registration(p: AgentProfile): AgentInfoInput {
  return {
    name: `${p.type.replace('_', '-')}-${String(p.index).padStart(4, '0')}`,
    type: p.type,
    version: `1.${p.index % 7}.${p.index % 3}`,
    description: `benchmark agent ${p.index}`,
    deployment_type: p.deployment,
    host: `node-${String(p.index % 64).padStart(2, '0')}`,
    port: 8000 + (p.index % 100),
    environment: p.environment,
    tags: ['bench', p.type, p.environment],
    metadata: { team: `team-${p.index % 12}` },
  };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const int = (v: number) => Math.max(0, Math.round(v));

/**
 * One AgentMetrics payload of agent `p` at `tsMs`, for an agent that reports every `stepS` seconds.
 * `r` is the shared PRNG (noise only; the shape of the day comes from the profile and the time).
 */
export function metricsPayload(p: AgentProfile, agentId: string, tsMs: number, stepS: number, r: () => number): AgentMetrics {
  const day = Math.sin((tsMs / 86_400_000) * 2 * Math.PI + p.phase); // -1..1, the daily load cycle
  const load = 0.5 + 0.5 * day;
  const spike = r() < 0.01; // a rare burst: some payloads cross the 80% CPU / 5 s thresholds
  const cpu = clamp(p.cpuBase + p.cpuSwing * day + (r() - 0.5) * 10 + (spike ? 35 : 0), 0, 100);
  const memPct = clamp(p.memBasePct + 10 * load + (r() - 0.5) * 4, 0, 100);
  const errorRate = clamp(p.errorRate * (0.5 + r()) * (spike ? 3 : 1), 0, 1);
  const tasks = int(p.tasksPerStep * (0.3 + load) * (0.8 + 0.4 * r()));
  const latencyMs = p.latencyBaseMs * (0.8 + 0.6 * load + 0.3 * r()) * (spike ? 2.5 : 1);
  const tokensPerSecond = p.tokensPerSecond * (0.9 + 0.2 * r());
  let ai: AIMetrics | null = null;
  if (p.type === 'llm_agent' || p.type === 'chatbot') {
    ai = {
      model_inference_time_ms: latencyMs * 0.8,
      confidence_score: clamp(0.85 + (r() - 0.5) * 0.2, 0, 1),
      tokens_processed: int(tokensPerSecond * stepS * load),
      tokens_per_second: tokensPerSecond,
      context_length: int(2048 + r() * 30_000),
      api_calls_made: int(tasks * (1 + r())),
      api_call_latency_ms: latencyMs * 0.7,
    };
  } else if (p.type === 'ml_model') {
    ai = {
      model_inference_time_ms: latencyMs * 0.5,
      model_accuracy: clamp(0.92 + (r() - 0.5) * 0.04, 0, 1),
      confidence_score: clamp(0.8 + (r() - 0.5) * 0.2, 0, 1),
      tokens_processed: null,
      tokens_per_second: null,
    };
  }
  return {
    agent_id: agentId,
    timestamp: new Date(tsMs).toISOString(),
    resource_metrics: {
      cpu_usage_percent: Math.round(cpu * 100) / 100,
      memory_usage_bytes: int((memPct / 100) * p.memTotalBytes),
      memory_usage_percent: Math.round(memPct * 100) / 100,
      disk_usage_bytes: int(p.diskBytes + (tsMs % 86_400_000) * 10),
      disk_io_read_bytes: int(2_000_000 * load * r() * stepS),
      disk_io_write_bytes: int(800_000 * load * r() * stepS),
      network_io_rx_bytes: int(150_000 * tasks * (0.5 + r())),
      network_io_tx_bytes: int(40_000 * tasks * (0.5 + r())),
      gpu_usage_percent: p.gpu ? Math.round(clamp(20 + 60 * load + (r() - 0.5) * 10, 0, 100) * 10) / 10 : null,
      gpu_memory_usage_bytes: p.gpu ? int((8 + 8 * load) * GIB) : null,
    },
    performance_metrics: {
      tasks_completed: tasks,
      tasks_failed: int(tasks * errorRate),
      tasks_pending: int(r() * 20 * load),
      average_response_time_ms: Math.round(latencyMs * 10) / 10,
      throughput_per_second: Math.round((tasks / stepS) * 1000) / 1000,
      error_rate: Math.round(errorRate * 10_000) / 10_000,
      success_rate: Math.round((1 - errorRate) * 10_000) / 10_000,
      uptime_seconds: int(p.upSinceS + tsMs / 1000 - 1.7e9),
    },
    ai_metrics: ai,
    custom_metrics: {
      queue_depth: int(r() * 50 * load),
      cache_hit_ratio: Math.round(clamp(0.6 + 0.3 * r(), 0, 1) * 1000) / 1000,
      model: p.type === 'ml_model' ? 'xgb-ranker-v3' : 'gpt-4o-mini',
    },
    health_checks: { database: true, upstream_api: r() > 0.002 },
  };
}
