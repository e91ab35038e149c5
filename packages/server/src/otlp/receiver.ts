/**
 * The OTLP receiver: an export (already decoded) -> agents found or registered -> one AgentMetrics
 * payload per agent through the monitor, the same ingest call POST /api/v1/metrics makes. It
 * answers only after that call resolved, with what it could not take (OTLP partial success).
 */
import type { AgentMetrics, SystemEvent } from '@agentmon/schema';
import type { Monitor } from '../services/monitor.js';
import type { AgentStore, IngestContext, IngestStore } from '../storage/ports.js';
import { CumulativeDeltas } from './deltas.js';
import { FailedSpans } from './failed-spans.js';
import { CustomKeyBudget, MAX_CUSTOM_KEYS_PER_AGENT, hasFigures, type AgentFigures } from './figures.js';
import { AgentDirectory, identityOf } from './identity.js';
import { translateMetrics } from './metrics-map.js';
import type { ResourceMetrics, ResourceSpans } from './model.js';
import { PayloadRefused, ResourceCarry, toPayload } from './payload.js';
import type { PartialSuccess } from './wire.js';
import { translateSpans } from './spans-map.js';
import { OtlpStats, type OtlpRefusal, type OtlpSignal } from './stats.js';

/** Who sent an export: an agent's key ties everything to that agent; other tokens go by the resource. */
export type OtlpCaller = { kind: 'agent'; agentId: string; context: IngestContext } | { kind: 'trusted' };

/** What the receiver needs. */
export interface OtlpReceiverDeps {
  metadata: AgentStore & IngestStore;
  monitor: Monitor;
  clock: () => number;
  onRegistered?: (event: SystemEvent) => void;
}

/** After this long without GenAI metrics from an agent, its spans give the model figures again. */
const GEN_AI_METRICS_FRESH_MS = 10 * 60_000;

/** One resource's figures on their way to a payload. */
interface Batch {
  agentId: string;
  figures: AgentFigures;
  /** Data points or spans the payload stands for (refused with it if it cannot be stored). */
  items: number;
}

/** Receives OTLP exports; holds the memory the translation needs between them. */
export class OtlpReceiver {
  private readonly deltas = new CumulativeDeltas();
  private readonly budget = new CustomKeyBudget();
  private readonly carry = new ResourceCarry();
  private readonly directory: AgentDirectory;
  /** When each agent last sent GenAI metrics, ms. */
  private readonly genAiMetricsAt = new Map<string, number>();
  /** End of each agent's latest span batch, ms. */
  private readonly spansEndAt = new Map<string, number>();
  /** Agents that have sent agent runs (their tasks). */
  private readonly agentRunsSeen = new Set<string>();
  /** The latest failed GenAI spans of each agent. */
  readonly failedSpans = new FailedSpans();
  /** What was taken and refused, for agentmon's own metrics. */
  readonly stats = new OtlpStats();

  constructor(private readonly deps: OtlpReceiverDeps) {
    this.directory = new AgentDirectory({ metadata: deps.metadata, clock: deps.clock, ...(deps.onRegistered ? { onRegistered: deps.onRegistered } : {}) });
  }

  /** Takes an export's metrics. */
  async exportMetrics(resources: readonly ResourceMetrics[], caller: OtlpCaller): Promise<PartialSuccess> {
    const result = new Outcome(this.stats, 'metrics');
    const batches: Batch[] = [];
    for (const r of resources) {
      const points = r.metrics.reduce((n, m) => n + m.points.length, 0);
      if (points === 0) continue;
      const genAi = r.metrics.some((m) => m.name.startsWith('gen_ai.'));
      const agentId = await this.agentOf(r.resource, genAi, caller);
      if (agentId === null) {
        result.refuse(points, 'no_service_name', 'a resource without service.name (set OTEL_SERVICE_NAME)');
        continue;
      }
      const t = translateMetrics(agentId, r.metrics, { deltas: this.deltas, budget: this.budget });
      if (t.rejected > 0 || t.refusedKeys.length > 0) {
        this.stats.refuseKeys('metrics', t.refusedKeys.length);
        result.refuse(
          t.rejected,
          'custom_key_limit',
          `agent ${agentId} has ${MAX_CUSTOM_KEYS_PER_AGENT} custom metric keys, the most agentmon keeps per agent; refused: ${t.refusedKeys.slice(0, 5).join(', ')}${t.refusedKeys.length > 5 ? ', ...' : ''}`,
        );
      }
      if (t.figures.genAi) this.genAiMetricsAt.set(agentId, this.deps.clock());
      batches.push({ agentId, figures: t.figures, items: points - t.rejected });
    }
    await this.ingest(batches, caller, result, 'data points');
    return result.partial();
  }

  /** Takes an export's spans. */
  async exportTraces(resources: readonly ResourceSpans[], caller: OtlpCaller): Promise<PartialSuccess> {
    const result = new Outcome(this.stats, 'traces');
    const batches: Batch[] = [];
    const now = this.deps.clock();
    for (const r of resources) {
      // Spans that are not GenAI work are taken and ignored: they neither register nor feed an agent.
      if (!r.spans.some((s) => s.attributes['gen_ai.operation.name'] !== undefined)) continue;
      const agentId = await this.agentOf(r.resource, true, caller);
      if (agentId === null) {
        result.refuse(r.spans.length, 'no_service_name', 'a resource without service.name (set OTEL_SERVICE_NAME)');
        continue;
      }
      const metricsAt = this.genAiMetricsAt.get(agentId);
      const t = translateSpans(r.spans, {
        metricsGiveModelFigures: metricsAt !== undefined && now - metricsAt <= GEN_AI_METRICS_FRESH_MS,
        previousEndMs: this.spansEndAt.get(agentId) ?? null,
        agentRunsSeen: this.agentRunsSeen.has(agentId),
      });
      if (t.agentRuns) this.agentRunsSeen.add(agentId);
      if (t.genAiSpans === 0) continue;
      const refused = Object.keys(t.figures.custom).filter((key) => !this.budget.admit(agentId, key));
      for (const key of refused) delete t.figures.custom[key];
      if (refused.length > 0) {
        this.stats.refuseKeys('traces', refused.length);
        result.note(`agent ${agentId} has ${MAX_CUSTOM_KEYS_PER_AGENT} custom metric keys, the most agentmon keeps per agent; not kept: ${refused.slice(0, 5).join(', ')}`);
      }
      if (t.figures.timeMs !== null) this.spansEndAt.set(agentId, Math.max(this.spansEndAt.get(agentId) ?? 0, t.figures.timeMs));
      this.failedSpans.add(agentId, t.failed);
      batches.push({ agentId, figures: t.figures, items: r.spans.length });
    }
    await this.ingest(batches, caller, result, 'spans');
    return result.partial();
  }

  /** The agent of a resource: the caller's own with an agent key, else found or registered by identity. */
  private async agentOf(resource: ResourceMetrics['resource'], genAi: boolean, caller: OtlpCaller): Promise<string | null> {
    if (caller.kind === 'agent') return caller.agentId;
    const identity = identityOf(resource);
    return identity === null ? null : this.directory.resolve(identity, genAi);
  }

  /** Payloads of the batches through the monitor; heartbeats for agents whose data gave no figure yet. */
  private async ingest(batches: readonly Batch[], caller: OtlpCaller, result: Outcome, unit: string): Promise<void> {
    if (batches.length === 0) return;
    const ids = [...new Set(batches.map((b) => b.agentId))];
    const known =
      caller.kind === 'agent' ? new Map([[caller.agentId, caller.context]]) : await this.deps.metadata.getIngestContexts(ids);
    const now = this.deps.clock();
    const payloads: AgentMetrics[] = [];
    const alive = new Set<string>();
    let taken = 0;
    for (const b of batches) {
      if (!known.has(b.agentId)) {
        // Deregistered since it was found: the next export registers it again.
        this.directory.forget(b.agentId);
        result.refuse(b.items, 'deregistered', `agent ${b.agentId} was deregistered; send again to register it anew`);
        continue;
      }
      if (!hasFigures(b.figures)) {
        // Only baselines of cumulative series so far: the agent is alive, with nothing to chart yet.
        alive.add(b.agentId);
        taken += b.items;
        continue;
      }
      try {
        payloads.push(toPayload(b.agentId, b.figures, this.carry.fill(b.agentId, b.figures.resource, now), now));
        taken += b.items;
      } catch (err) {
        if (!(err instanceof PayloadRefused)) throw err;
        result.refuse(b.items, 'outside_data_model', `${unit} of agent ${b.agentId} gave figures outside the data model: ${err.message}`);
      }
    }
    if (payloads.length > 0) await this.deps.monitor.ingestMetrics(payloads, known, (i) => `/payloads/${i}`);
    for (const id of alive) {
      if (!payloads.some((p) => p.agent_id === id)) await this.deps.monitor.heartbeat(known.get(id) as IngestContext);
    }
    result.accept(taken);
  }
}

/** What an export could not deliver, gathered as it goes. */
class Outcome {
  private rejected = 0;
  private readonly messages: string[] = [];

  constructor(
    private readonly stats: OtlpStats,
    private readonly signal: OtlpSignal,
  ) {}

  /** Items stored (counted once the store took them). */
  accept(items: number): void {
    this.stats.accept(this.signal, items);
  }

  refuse(items: number, reason: OtlpRefusal, why: string): void {
    this.rejected += items;
    this.stats.reject(this.signal, reason, items);
    this.note(why);
  }

  note(message: string): void {
    if (!this.messages.includes(message)) this.messages.push(message);
  }

  partial(): PartialSuccess {
    return { rejected: this.rejected, errorMessage: this.messages.join('; ') };
  }
}
