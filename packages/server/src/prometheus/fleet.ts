/**
 * The fleet as Prometheus metric families. Each agent's descriptive fields are on one
 * `agentmon_agent_info` series (value 1) and every other per-agent series carries only `agent_id`,
 * so renaming an agent or moving it to another environment does not break its series; join them
 * in PromQL with `* on (agent_id) group_left (name, environment) agentmon_agent_info`.
 */
import { AGENT_STATUSES, ALERT_SEVERITIES, type AgentStatus } from '@agentmon/schema';
import type { AgentTotals, CountedMetric } from '../engine/agent-counters.js';
import type { AlertRecord, IngestContext } from '../storage/ports.js';
import type { Exposition, Labels } from './exposition.js';

/** A latest-value gauge: its name, the series it comes from, and how to bring it to base units. */
interface GaugeSpec {
  name: string;
  metric: string;
  /** What the stored value is divided by to be in base units (100 for percent, 1000 for ms). */
  per: number;
  help: string;
}

/** Latest values exported as gauges, converted to base units (seconds, bytes, ratios 0-1). */
export const LATEST_GAUGES: readonly GaugeSpec[] = [
  { name: 'agentmon_agent_cpu_usage_ratio', metric: 'cpu_usage_percent', per: 100, help: 'CPU usage of the agent, 0-1' },
  { name: 'agentmon_agent_memory_usage_bytes', metric: 'memory_usage_bytes', per: 1, help: 'Memory used by the agent, bytes' },
  { name: 'agentmon_agent_memory_usage_ratio', metric: 'memory_usage_percent', per: 100, help: 'Memory usage of the agent, 0-1' },
  { name: 'agentmon_agent_disk_usage_bytes', metric: 'disk_usage_bytes', per: 1, help: 'Disk used by the agent, bytes' },
  { name: 'agentmon_agent_gpu_usage_ratio', metric: 'gpu_usage_percent', per: 100, help: 'GPU usage of the agent, 0-1' },
  { name: 'agentmon_agent_gpu_memory_usage_bytes', metric: 'gpu_memory_usage_bytes', per: 1, help: 'GPU memory used by the agent, bytes' },
  { name: 'agentmon_agent_tasks_pending', metric: 'tasks_pending', per: 1, help: 'Tasks waiting in the agent' },
  { name: 'agentmon_agent_response_time_seconds', metric: 'average_response_time_ms', per: 1000, help: 'Average response time of the agent over its latest interval, seconds' },
  { name: 'agentmon_agent_error_ratio', metric: 'error_rate', per: 1, help: 'Share of the agent\'s tasks that failed in its latest interval, 0-1' },
  { name: 'agentmon_agent_success_ratio', metric: 'success_rate', per: 1, help: 'Share of the agent\'s tasks that succeeded in its latest interval, 0-1' },
  { name: 'agentmon_agent_uptime_seconds', metric: 'uptime_seconds', per: 1, help: 'Uptime the agent reports, seconds' },
  { name: 'agentmon_agent_model_inference_time_seconds', metric: 'model_inference_time_ms', per: 1000, help: 'Average model inference time of the agent over its latest interval, seconds' },
  { name: 'agentmon_agent_api_call_latency_seconds', metric: 'api_call_latency_ms', per: 1000, help: 'Average model API call latency of the agent over its latest interval, seconds' },
  { name: 'agentmon_agent_model_accuracy_ratio', metric: 'model_accuracy', per: 1, help: 'Model accuracy the agent reports, 0-1' },
  { name: 'agentmon_agent_confidence_ratio', metric: 'confidence_score', per: 1, help: 'Confidence score the agent reports, 0-1' },
  { name: 'agentmon_agent_context_length_tokens', metric: 'context_length', per: 1, help: 'Context length of the agent\'s latest model call, tokens' },
];

/** What accumulates, exported as counters: their names, the totals they read and any fixed labels. */
const COUNTERS: readonly { name: string; help: string; parts: readonly { metric: CountedMetric; labels?: Labels }[] }[] = [
  {
    name: 'agentmon_agent_tasks_total',
    help: 'Tasks the agent reported, by outcome (completed, failed), counted by this agentmon instance since it started',
    parts: [
      { metric: 'tasks_completed', labels: { outcome: 'completed' } },
      { metric: 'tasks_failed', labels: { outcome: 'failed' } },
    ],
  },
  { name: 'agentmon_agent_tokens_total', help: 'Tokens the agent reported processing, counted by this agentmon instance since it started', parts: [{ metric: 'tokens_processed' }] },
  { name: 'agentmon_agent_api_calls_total', help: 'Model API calls the agent reported, counted by this agentmon instance since it started', parts: [{ metric: 'api_calls_made' }] },
  {
    name: 'agentmon_agent_disk_io_bytes_total',
    help: 'Bytes the agent reported reading and writing on disk, by direction, counted by this agentmon instance since it started',
    parts: [
      { metric: 'disk_io_read_bytes', labels: { direction: 'read' } },
      { metric: 'disk_io_write_bytes', labels: { direction: 'write' } },
    ],
  },
  {
    name: 'agentmon_agent_network_io_bytes_total',
    help: 'Bytes the agent reported receiving and transmitting, by direction, counted by this agentmon instance since it started',
    parts: [
      { metric: 'network_io_rx_bytes', labels: { direction: 'receive' } },
      { metric: 'network_io_tx_bytes', labels: { direction: 'transmit' } },
    ],
  },
];

/** One agent as the exposition needs it. */
export interface FleetAgent {
  /** Its descriptive fields, agent_info's labels. */
  row: Pick<IngestContext, 'id' | 'name' | 'type' | 'version' | 'environment' | 'deployment_type' | 'host'>;
  status: AgentStatus;
  healthScore: number;
  /** Server receive time of its latest data of any kind, ms; null when it never sent any. */
  lastDataMs: number | null;
  /** Its latest value of each series when that is current (not offline, received within its offline window); else null. */
  latest: Readonly<Record<string, number | null>> | null;
  totals: Readonly<AgentTotals>;
}

/** Writes the fleet families: agent info, up, status, score, latest values, counters, alerts. */
export function writeFleetMetrics(out: Exposition, agents: readonly FleetAgent[], activeAlerts: readonly AlertRecord[]): void {
  const id = (a: FleetAgent) => ({ agent_id: a.row.id });
  const info = out.family('agentmon_agent_info', 'gauge', 'The agent\'s descriptive fields (value 1): join other agentmon_agent_* series on agent_id');
  for (const a of agents) {
    const r = a.row;
    info(1, { agent_id: r.id, name: r.name, type: r.type, version: r.version, environment: r.environment, deployment_type: r.deployment_type, host: r.host });
  }
  const up = out.family('agentmon_agent_up', 'gauge', '1 when the agent is reporting (not offline and not unknown)');
  for (const a of agents) up(a.status === 'offline' || a.status === 'unknown' ? 0 : 1, id(a));
  const status = out.family('agentmon_agent_status', 'gauge', 'The agent status, one series per status (1 for the current one)');
  for (const a of agents) for (const s of AGENT_STATUSES) status(a.status === s ? 1 : 0, { agent_id: a.row.id, status: s });
  const score = out.family('agentmon_agent_health_score', 'gauge', 'Health score of the agent, 0-1');
  for (const a of agents) score(a.healthScore, id(a));
  const seen = out.family('agentmon_agent_last_seen_timestamp_seconds', 'gauge', 'When agentmon last received data from the agent, seconds since the Unix epoch');
  for (const a of agents) if (a.lastDataMs !== null) seen(a.lastDataMs / 1000, id(a));

  // An offline agent's latest values are history, not its present: exported as current they would
  // draw a flat line on every graph and satisfy every alert rule. Its up, status and score stay.
  for (const g of LATEST_GAUGES) {
    const sample = out.family(g.name, 'gauge', g.help);
    for (const a of agents) {
      const v = a.latest?.[g.metric];
      if (typeof v === 'number') sample(g.per === 1 ? v : v / g.per, id(a));
    }
  }
  for (const c of COUNTERS) {
    const sample = out.family(c.name, 'counter', c.help);
    for (const a of agents) for (const part of c.parts) sample(a.totals[part.metric], { agent_id: a.row.id, ...part.labels });
  }

  const tokens = out.family(
    'agentmon_agent_model_tokens_total',
    'counter',
    'Tokens the agent reported by model and type (input, output), counted by this agentmon instance since it started',
  );
  const cost = out.family(
    'agentmon_agent_model_cost_usd_total',
    'counter',
    'What the agent spent on each model in US dollars (priced at ingest), counted by this agentmon instance since it started',
  );
  for (const a of agents) {
    for (const [model, m] of a.totals.models) {
      tokens(m.input_tokens, { agent_id: a.row.id, model, type: 'input' });
      tokens(m.output_tokens, { agent_id: a.row.id, model, type: 'output' });
      cost(m.cost_usd, { agent_id: a.row.id, model });
    }
  }

  const byStatus = out.family('agentmon_agents', 'gauge', 'Registered agents by status');
  for (const s of AGENT_STATUSES) byStatus(agents.filter((a) => a.status === s).length, { status: s });
  const alerts = out.family('agentmon_active_alerts', 'gauge', 'Active alerts by severity');
  for (const s of ALERT_SEVERITIES) alerts(activeAlerts.filter((x) => x.severity === s).length, { severity: s });
}
