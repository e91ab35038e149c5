/**
 * Figures -> an AgentMetrics payload, checked by the same schema POST /api/v1/metrics validates
 * with (defaults filled as it fills them). The seed requires four resource fields an export may
 * not carry: the agent's latest OTLP resource figures are reused for up to RESOURCE_CARRY_MS (as
 * Prometheus looks back 5 minutes for a sample), else they are 0.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { AgentMetrics, isDateTime, type AgentMetrics as AgentMetricsType } from '@agentmon/schema';
import { usageList, type AgentFigures } from './figures.js';

/** How long an agent's resource figures stand in for an export that has none. */
export const RESOURCE_CARRY_MS = 5 * 60_000;

const REQUIRED_RESOURCE = ['cpu_usage_percent', 'memory_usage_bytes', 'memory_usage_percent', 'disk_usage_bytes'] as const;

function compile(): ValidateFunction {
  // The options of the app's body validator: strict types, defaults filled in, every error listed.
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, removeAdditional: false, coerceTypes: false });
  addFormats.default(ajv);
  ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
  return ajv.compile(AgentMetrics);
}
const validate = compile();

/** A payload that failed the schema: what was wrong. */
export class PayloadRefused extends Error {}

/** The latest resource figures of each agent, for exports without them. */
export class ResourceCarry {
  private readonly latest = new Map<string, { atMs: number; resource: AgentFigures['resource'] }>();

  /** The figures filled in from the agent's recent ones; remembers the new ones. */
  fill(agentId: string, resource: AgentFigures['resource'], nowMs: number): AgentFigures['resource'] {
    const own = REQUIRED_RESOURCE.some((k) => resource[k] !== undefined);
    const prev = this.latest.get(agentId);
    if (own) {
      this.latest.set(agentId, { atMs: nowMs, resource: { ...(prev && nowMs - prev.atMs <= RESOURCE_CARRY_MS ? prev.resource : {}), ...resource } });
    }
    const base = prev && nowMs - prev.atMs <= RESOURCE_CARRY_MS ? prev.resource : {};
    const filled: AgentFigures['resource'] = {};
    for (const k of REQUIRED_RESOURCE) filled[k] = resource[k] ?? base[k] ?? 0;
    return { ...filled, ...stripIo(resource) };
  }
}

/** Resource figures other than the required four (disk and network I/O are per interval: never carried). */
function stripIo(resource: AgentFigures['resource']): AgentFigures['resource'] {
  const rest = { ...resource };
  for (const k of REQUIRED_RESOURCE) delete rest[k];
  return rest;
}

/** The payload of an agent's figures; throws PayloadRefused when it breaks the schema. */
export function toPayload(agentId: string, figures: AgentFigures, resource: AgentFigures['resource'], nowMs: number): AgentMetricsType {
  const payload: Record<string, unknown> = {
    agent_id: agentId,
    timestamp: new Date(figures.timeMs ?? nowMs).toISOString(),
    resource_metrics: resource,
    performance_metrics: { ...figures.performance },
    ...(Object.keys(figures.ai).length > 0 ? { ai_metrics: { ...figures.ai } } : {}),
    custom_metrics: { ...figures.custom },
    ...(figures.usage.size > 0 ? { model_usage: usageList(figures) } : {}),
  };
  if (!validate(payload)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
    throw new PayloadRefused(problems);
  }
  return payload as AgentMetricsType;
}
