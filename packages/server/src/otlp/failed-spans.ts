/**
 * The latest failed GenAI spans of each agent, kept in memory for a person to look into: agentmon
 * is no trace store, so only the newest few per agent, and none survive a restart.
 */
import type { AttributeValue } from './model.js';
import type { Span } from './model.js';

/** Failed spans kept per agent. */
export const FAILED_SPANS_PER_AGENT = 50;
/** Agents whose failed spans are kept; the one that failed least recently goes first. */
const MAX_AGENTS = 10_000;

/** A failed span as the API shows it. */
export interface FailedSpan {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  operation: string | null;
  start_time: string;
  end_time: string;
  duration_ms: number;
  status_message: string;
  attributes: Record<string, AttributeValue>;
}

/** The newest failed spans per agent, newest first. */
export class FailedSpans {
  private readonly byAgent = new Map<string, FailedSpan[]>();

  /** Keeps an agent's failed spans (newer ones push the oldest out). */
  add(agentId: string, spans: readonly Span[]): void {
    if (spans.length === 0) return;
    const list = this.byAgent.get(agentId) ?? [];
    this.byAgent.delete(agentId);
    const sorted = [...spans].sort((a, b) => b.endMs - a.endMs).map(view);
    const merged = [...sorted, ...list].sort((a, b) => (a.end_time < b.end_time ? 1 : a.end_time > b.end_time ? -1 : 0));
    this.byAgent.set(agentId, merged.slice(0, FAILED_SPANS_PER_AGENT));
    if (this.byAgent.size > MAX_AGENTS) {
      const oldest = this.byAgent.keys().next();
      if (!oldest.done) this.byAgent.delete(oldest.value);
    }
  }

  /** An agent's failed spans, newest first. */
  list(agentId: string): FailedSpan[] {
    return this.byAgent.get(agentId) ?? [];
  }
}

function view(s: Span): FailedSpan {
  const operation = s.attributes['gen_ai.operation.name'];
  return {
    trace_id: s.traceId,
    span_id: s.spanId,
    parent_span_id: s.parentSpanId === '' ? null : s.parentSpanId,
    name: s.name,
    operation: typeof operation === 'string' ? operation : null,
    start_time: new Date(s.startMs).toISOString(),
    end_time: new Date(s.endMs).toISOString(),
    duration_ms: Math.max(0, s.endMs - s.startMs),
    status_message: s.status.message,
    attributes: s.attributes,
  };
}
