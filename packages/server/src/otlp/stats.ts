/**
 * What the OTLP receiver took and refused since start, by signal and reason: the counters of
 * agentmon's own exposition, so a refusal (an agent past its custom key limit, a resource without
 * service.name) is seen in Prometheus, not only in the answer the exporter may never log.
 */
import type { Exposition } from '../prometheus/exposition.js';

/** An OTLP signal agentmon takes. */
export type OtlpSignal = 'metrics' | 'traces';

/** Why data points or spans were refused. */
export type OtlpRefusal = 'no_service_name' | 'custom_key_limit' | 'deregistered' | 'outside_data_model';

/** Counters of the receiver. */
export class OtlpStats {
  private readonly accepted: Record<OtlpSignal, number> = { metrics: 0, traces: 0 };
  private readonly rejected = new Map<string, number>();
  private readonly keysRefused: Record<OtlpSignal, number> = { metrics: 0, traces: 0 };

  /** Data points or spans stored. */
  accept(signal: OtlpSignal, items: number): void {
    this.accepted[signal] += items;
  }

  /** Data points or spans refused, and why. */
  reject(signal: OtlpSignal, reason: OtlpRefusal, items: number): void {
    const key = `${signal}\n${reason}`;
    this.rejected.set(key, (this.rejected.get(key) ?? 0) + items);
  }

  /** Custom metric keys not kept because their agent had as many as it may. */
  refuseKeys(signal: OtlpSignal, keys: number): void {
    this.keysRefused[signal] += keys;
  }

  /** Writes the receiver's families. */
  write(out: Exposition): void {
    const accepted = out.family('agentmon_otlp_accepted_total', 'counter', 'OTLP data points (metrics) and spans (traces) taken by this instance');
    const rejected = out.family('agentmon_otlp_rejected_total', 'counter', 'OTLP data points and spans refused by this instance, by reason (answered in partial_success)');
    const keys = out.family('agentmon_otlp_custom_keys_refused_total', 'counter', 'Custom metric keys not kept because the agent had as many as agentmon keeps per agent');
    for (const signal of ['metrics', 'traces'] as const) {
      accepted(this.accepted[signal], { signal });
      keys(this.keysRefused[signal], { signal });
      for (const reason of ['no_service_name', 'custom_key_limit', 'deregistered', 'outside_data_model'] as const) {
        rejected(this.rejected.get(`${signal}\n${reason}`) ?? 0, { signal, reason });
      }
    }
  }
}
