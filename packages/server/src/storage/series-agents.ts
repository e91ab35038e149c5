/**
 * Which agents have payloads in a range, for stores that can only tell by counting: a count of
 * cpu_usage_percent per agent over the range (every payload has it: a required field). The series
 * engine answers from its segments' time bounds instead.
 */
import type { SeriesStore } from './ports.js';

/** Agents among `agentIds` (all when null) with a payload in [startMs, endMs], sorted by id. */
export async function agentsByCount(store: SeriesStore, agentIds: readonly string[] | null, startMs: number, endMs: number): Promise<string[]> {
  if (agentIds !== null && agentIds.length === 0) return [];
  const counts = await store.query({ agentIds, startMs, endMs, metrics: ['cpu_usage_percent'], aggregation: 'count', intervalMs: null, groupBy: 'agent' });
  const found = counts.filter((r) => Object.values(r.values).some((v) => v !== null && v > 0)).map((r) => r.agent_id);
  return [...new Set(found.filter((id): id is string => id !== null))].sort();
}
