/**
 * The one scheduler: every sweep interval it moves all agents to now (silence, score decay),
 * re-sends unacknowledged alerts that are due, every minute weighs spend against the budgets, and
 * now and then runs retention. Across instances
 * only the holder of the `sweeper` lock sweeps. A failure is logged and recorded as a
 * SYSTEM_ERROR event; the next tick tries again.
 */
import type { MetadataStore, SeriesStore } from '../storage/ports.js';
import { newEvent } from '../engine/events.js';
import type { Monitor } from './monitor.js';
import { runRetention, type RetentionReport } from './retention.js';

/** A pino-like logger (the engine does not import pino). */
export interface EngineLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What one tick did; null parts did not run. */
export interface SweepReport {
  skipped: boolean;
  sweep: { agents: number; changed: number } | null;
  repeated: number | null;
  retention: RetentionReport | null;
  /** Spend budgets evaluated (null: not due this tick). */
  budgets: number | null;
}

/** Options of the sweeper. */
export interface SweeperOptions {
  monitor: Monitor;
  metadata: MetadataStore;
  series: SeriesStore;
  clock: () => number;
  log: EngineLog;
  intervalMs: number;
  retentionIntervalMs: number;
  /** Re-sends due notifications; returns how many alerts were queued. */
  repeat?: () => Promise<number>;
  /** How often spend budgets are evaluated, ms (default 60 s: a month's spend is one query per period). */
  budgetIntervalMs?: number;
}

/** Runs the periodic work. */
export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SweepReport> | null = null;
  private lastRetentionMs = -Infinity;
  private lastBudgetsMs = -Infinity;
  /** Whether the log has been told that maintenance runs (once is enough). */
  private maintenanceTold = false;

  constructor(private readonly options: SweeperOptions) {}

  /** Starts ticking; the timer never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.tick();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops ticking and waits for a tick under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One tick now (tests call it with a fake clock); a tick already under way is joined, not doubled. */
  tick(): Promise<SweepReport> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(): Promise<SweepReport> {
    const { metadata, log } = this.options;
    const report: SweepReport = { skipped: false, sweep: null, repeated: null, retention: null, budgets: null };
    let release: (() => Promise<void>) | null = null;
    try {
      release = await metadata.tryLock('sweeper');
      if (!release) return { ...report, skipped: true };
      report.sweep = await this.step('sweep', () => this.options.monitor.sweep());
      if (this.options.repeat) report.repeated = await this.step('notification repeat', this.options.repeat);
      const now = this.options.clock();
      if (now - this.lastBudgetsMs >= (this.options.budgetIntervalMs ?? 60_000)) {
        this.lastBudgetsMs = now;
        report.budgets = (await this.step('spend budgets', () => this.options.monitor.evaluateBudgets()))?.length ?? null;
      }
      if (now - this.lastRetentionMs >= this.options.retentionIntervalMs) {
        this.lastRetentionMs = now;
        report.retention = await this.step('retention', () =>
          runRetention({ metadata, series: this.options.series, clock: this.options.clock }),
        );
        if (report.retention && report.retention.metrics + report.retention.events + report.retention.alerts > 0) {
          log.info({ retention: report.retention }, 'retention deleted expired data');
        }
        const done = await this.step('store maintenance', () => metadata.maintain());
        if (done && done.length > 0 && !this.maintenanceTold) {
          this.maintenanceTold = true;
          log.info({ maintenance: done }, 'store maintenance runs with every retention pass');
        }
      }
    } catch (err) {
      await this.fail('sweeper lock', err);
    } finally {
      await release?.().catch((err: unknown) => this.fail('sweeper unlock', err));
    }
    return report;
  }

  /** Runs one part of a tick; a failure is reported and the tick goes on. */
  private async step<T>(what: string, fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      await this.fail(what, err);
      return null;
    }
  }

  private async fail(what: string, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    this.options.log.error({ err, part: what }, `${what} failed`);
    try {
      await this.options.metadata.insertEvents([
        newEvent('system_error', `${what} failed: ${message}`, {
          nowMs: this.options.clock(),
          severity: 'error',
          source: 'sweeper',
          data: { part: what, error: message },
        }),
      ]);
    } catch (recordErr) {
      this.options.log.error({ err: recordErr, part: what }, 'could not record the failure as an event');
    }
  }
}
