/**
 * The demo fleet's plan: who the agents are (every AgentType and DeploymentType, several
 * environments), how each behaves, and which ones play a part (a failing health check, one that
 * goes silent, one in maintenance). Pure and deterministic: the same N gives the same fleet, so a
 * demo restarted on the same server finds its agents again instead of adding new ones.
 */
import { AGENT_TYPES, DEPLOYMENT_TYPES, type AgentType, type DeploymentType } from '@agentmon/schema';

/** How an agent of a type behaves at full load. */
export interface Profile {
  /** Tasks per second at load 1. */
  tasksPerSecond: number;
  /** Typical task duration, ms. */
  responseMs: number;
  /** Share of tasks that fail on a normal day. */
  errorRate: number;
  cpuBase: number;
  cpuSpan: number;
  memoryBase: number;
  memorySpan: number;
  memoryTotalGiB: number;
  /** Tokens per task [min, max]; null for agents that do not talk to a language model. */
  tokensPerTask: [number, number] | null;
  /** Model or tool API calls per task [min, max]. */
  apiCallsPerTask: [number, number];
  apiLatencyMs: number;
  /** Model inference time, ms, for agents that run a model themselves. */
  inferenceMs: number | null;
  accuracy: number | null;
  contextLength: number | null;
  gpu: boolean;
  models: string[];
  names: string[];
  teams: string[];
  checks: string[];
}

/** Behaviour by agent type. */
export const PROFILES: Record<AgentType, Profile> = {
  llm_agent: {
    tasksPerSecond: 1.2, responseMs: 1600, errorRate: 0.012, cpuBase: 14, cpuSpan: 34, memoryBase: 38, memorySpan: 16, memoryTotalGiB: 8,
    tokensPerTask: [900, 3200], apiCallsPerTask: [1, 4], apiLatencyMs: 700, inferenceMs: null, accuracy: null, contextLength: 128_000, gpu: false,
    models: ['gpt-4o', 'claude-sonnet-4', 'llama-3-70b'], names: ['research-assistant', 'code-reviewer', 'sales-copilot', 'contract-analyst'],
    teams: ['research', 'platform', 'sales', 'legal'], checks: ['llm_api', 'vector_db'],
  },
  ml_model: {
    tasksPerSecond: 14, responseMs: 42, errorRate: 0.004, cpuBase: 22, cpuSpan: 36, memoryBase: 50, memorySpan: 12, memoryTotalGiB: 16,
    tokensPerTask: null, apiCallsPerTask: [0, 0], apiLatencyMs: 0, inferenceMs: 28, accuracy: 0.94, contextLength: null, gpu: true,
    models: ['xgb-fraud-v12', 'resnet50-int8', 'prophet-demand'], names: ['fraud-scorer', 'image-tagger', 'demand-forecaster', 'churn-predictor'],
    teams: ['risk', 'media', 'supply', 'growth'], checks: ['model_loaded', 'feature_store'],
  },
  chatbot: {
    tasksPerSecond: 2.5, responseMs: 1300, errorRate: 0.01, cpuBase: 12, cpuSpan: 30, memoryBase: 34, memorySpan: 14, memoryTotalGiB: 4,
    tokensPerTask: [250, 1400], apiCallsPerTask: [1, 2], apiLatencyMs: 480, inferenceMs: null, accuracy: null, contextLength: 32_000, gpu: false,
    models: ['gpt-4o-mini', 'claude-3-5-haiku', 'mistral-small'], names: ['support-bot', 'hr-helpdesk', 'onboarding-guide', 'it-servicedesk'],
    teams: ['support', 'people', 'success', 'it'], checks: ['llm_api', 'session_store'],
  },
  api_agent: {
    tasksPerSecond: 18, responseMs: 110, errorRate: 0.007, cpuBase: 10, cpuSpan: 32, memoryBase: 28, memorySpan: 10, memoryTotalGiB: 4,
    tokensPerTask: null, apiCallsPerTask: [1, 1], apiLatencyMs: 85, inferenceMs: null, accuracy: null, contextLength: null, gpu: false,
    models: [], names: ['geo-enricher', 'invoice-parser', 'pricing-api', 'kyc-verifier'],
    teams: ['data', 'finance', 'commerce', 'compliance'], checks: ['upstream_api', 'database'],
  },
  workflow_agent: {
    tasksPerSecond: 0.6, responseMs: 1400, errorRate: 0.015, cpuBase: 8, cpuSpan: 40, memoryBase: 30, memorySpan: 20, memoryTotalGiB: 8,
    tokensPerTask: null, apiCallsPerTask: [2, 6], apiLatencyMs: 160, inferenceMs: null, accuracy: null, contextLength: null, gpu: false,
    models: [], names: ['etl-orchestrator', 'ticket-triage', 'report-builder', 'claims-router'],
    teams: ['data', 'support', 'finance', 'insurance'], checks: ['queue', 'warehouse'],
  },
  custom: {
    tasksPerSecond: 3, responseMs: 260, errorRate: 0.006, cpuBase: 6, cpuSpan: 20, memoryBase: 20, memorySpan: 8, memoryTotalGiB: 2,
    tokensPerTask: null, apiCallsPerTask: [0, 1], apiLatencyMs: 120, inferenceMs: null, accuracy: null, contextLength: null, gpu: false,
    models: [], names: ['log-sentinel', 'web-crawler', 'cron-runner', 'backup-agent'],
    teams: ['sre', 'search', 'platform', 'sre'], checks: ['disk_space'],
  },
};

/** Environments, weighted towards production as real fleets are. */
const ENVIRONMENTS = ['production', 'production', 'staging', 'production', 'development'] as const;
/** UTC offsets of the regions agents serve, hours (the daily curve peaks mid-afternoon local time). */
const REGIONS = [
  { name: 'us-east', utcOffset: -5 },
  { name: 'eu-west', utcOffset: 1 },
  { name: 'ap-southeast', utcOffset: 8 },
] as const;

/** Kinds of incidents the demo stages; each breaches a default MonitoringConfig threshold. */
export const INCIDENT_KINDS = ['cpu', 'error_rate', 'latency', 'memory'] as const;
/** A kind of incident. */
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** One agent of the demo fleet. */
export interface DemoAgentPlan {
  index: number;
  name: string;
  type: AgentType;
  deploymentType: DeploymentType;
  environment: string;
  host: string;
  version: string;
  region: (typeof REGIONS)[number];
  model: string | null;
  team: string;
  tags: string[];
  profile: Profile;
  checks: string[];
  /** This check fails, always (the "one failing health check"). */
  failingCheck: string | null;
  /** Stops reporting this long after the start, ms (the "agent that goes silent"). */
  silentAfterMs: number | null;
  /** Put in maintenance at the start. */
  maintenance: boolean;
  /** Its incidents: the first starts `firstIncidentMs` after the start, then one every `incidentPeriodMs`. */
  firstIncidentMs: number;
  incidentPeriodMs: number;
  incidentDurationMs: number;
  /** A number from which the agent's randomness is drawn. */
  seed: number;
}

/** A small stable hash (FNV-1a), for names, hosts and seeds. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function hostFor(name: string, deployment: DeploymentType, h: number): string {
  const hex = h.toString(16).padStart(8, '0');
  switch (deployment) {
    case 'kubernetes':
      return `${name}-${hex.slice(0, 6)}-${hex.slice(6)}x2`;
    case 'docker':
      return `${hex}${hex.slice(0, 4)}`;
    case 'local':
      return `dev-workstation-${(h % 20) + 1}`;
    case 'cloud':
      return `ip-10-0-${h % 250}-${(h >>> 8) % 250}`;
    case 'serverless':
      return `lambda-${name}`;
  }
}

/** Options that shape the plan. */
export interface FleetOptions {
  /** When the silent agent stops reporting, ms after the start. */
  silentAfterMs?: number;
  /** Time between two incidents of one agent, ms. */
  incidentPeriodMs?: number;
  /** How long an incident lasts, ms. */
  incidentDurationMs?: number;
}

/** Plans a fleet of `n` agents: every AgentType and, from 5 agents, every DeploymentType. */
export function planFleet(n: number, options: FleetOptions = {}): DemoAgentPlan[] {
  const period = options.incidentPeriodMs ?? 10 * 60_000;
  const duration = options.incidentDurationMs ?? 75_000;
  const plans: DemoAgentPlan[] = [];
  for (let i = 0; i < n; i++) {
    const type = AGENT_TYPES[i % AGENT_TYPES.length] as AgentType;
    const round = Math.floor(i / AGENT_TYPES.length);
    const profile = PROFILES[type];
    const base = profile.names[round % profile.names.length] as string;
    const name = round < profile.names.length ? base : `${base}-${Math.floor(round / profile.names.length) + 1}`;
    const deploymentType = DEPLOYMENT_TYPES[(i + round) % DEPLOYMENT_TYPES.length] as DeploymentType;
    const environment = ENVIRONMENTS[i % ENVIRONMENTS.length] as string;
    const h = hash(`${name}/${environment}`);
    const model = profile.models.length > 0 ? (profile.models[h % profile.models.length] as string) : null;
    const team = profile.teams[round % profile.teams.length] as string;
    plans.push({
      index: i,
      name,
      type,
      deploymentType,
      environment,
      host: hostFor(name, deploymentType, h),
      version: `${1 + (h % 3)}.${(h >>> 4) % 12}.${(h >>> 8) % 20}`,
      region: REGIONS[i % REGIONS.length] as (typeof REGIONS)[number],
      model,
      team,
      tags: ['demo', team, ...(model ? [model] : [])],
      profile,
      checks: [...profile.checks],
      failingCheck: null,
      silentAfterMs: null,
      maintenance: false,
      // Staggered so a few agents are in trouble at any time, and the first within half a minute.
      firstIncidentMs: 20_000 + ((i * 37_000) % period),
      incidentPeriodMs: period,
      incidentDurationMs: duration,
      seed: h,
    });
  }
  if (n === 0) return plans;
  // Parts to play. The failing check and the silent agent are different agents when there are two.
  const failing = plans[Math.min(4, n - 1)] as DemoAgentPlan;
  failing.failingCheck = failing.checks[failing.checks.length - 1] as string;
  const silent = plans[n - 1] as DemoAgentPlan;
  silent.silentAfterMs = options.silentAfterMs ?? 90_000;
  if (n >= 8) (plans[n - 2] as DemoAgentPlan).maintenance = true;
  return plans;
}

/** The incident an agent is in at `elapsedMs` after the start, or null. */
export function incidentAt(plan: DemoAgentPlan, elapsedMs: number): { kind: IncidentKind; number: number; endsInMs: number } | null {
  if (elapsedMs < plan.firstIncidentMs) return null;
  const since = elapsedMs - plan.firstIncidentMs;
  const number = Math.floor(since / plan.incidentPeriodMs);
  const into = since - number * plan.incidentPeriodMs;
  if (into >= plan.incidentDurationMs) return null;
  const kinds = incidentKindsFor(plan.type);
  return { kind: kinds[(plan.index + number) % kinds.length] as IncidentKind, number, endsInMs: plan.incidentDurationMs - into };
}

/** The incidents that make sense for a type (an agent that records no tasks cannot have an error spike, say). */
export function incidentKindsFor(type: AgentType): readonly IncidentKind[] {
  return type === 'custom' ? ['cpu', 'memory'] : INCIDENT_KINDS;
}
