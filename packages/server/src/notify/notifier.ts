/**
 * The notifier: hears alert transitions from the monitor and delivers them to every target
 * (the enabled ones made through the API and the ones in the server config).
 *
 * - Grouping: the first transition opens a group; everything arriving in the next `groupWaitMs`
 *   joins it, and the group goes out as one message per target (a burst is one incident, not a
 *   storm of messages). An alert that changes twice in one group appears once, in its latest state.
 * - Retries: a network error, a timeout, a 5xx, 408 or 429 is retried with exponential backoff
 *   (between retryBaseMs · 2^(n-1) and twice that) up to `maxAttempts` attempts; any other 4xx is final.
 *   A delivery that gives up is logged (target id, name and host; never the URL, whose path is
 *   often the secret) and recorded as a SYSTEM_ERROR event.
 * - Repeats: `repeat()` (the sweeper calls it) re-sends active, unacknowledged alerts not notified
 *   for `repeatIntervalMs`.
 * - Background only: `alerts()` returns at once and never throws; nothing here throws into the
 *   caller, and no timer keeps the process alive.
 */
import { randomUUID } from 'node:crypto';
import { backoffDelay } from '@agentmon/schema';
import type { AlertTransition } from '../engine/alerts.js';
import { newEvent } from '../engine/events.js';
import type { AlertStore, EventStore, IngestStore, NotificationTarget, NotificationTargetStore } from '../storage/ports.js';
import { CHANNELS } from './channels.js';
import { type MessageContext, type NotifiedAlert } from './webhook.js';
import { guardedPost, SEND_TIMEOUT_MS, TargetPolicy, TargetRefused } from './egress.js';

export { SEND_TIMEOUT_MS } from './egress.js';

/** Where a message goes, wherever the target was defined. */
export interface DeliveryTarget {
  id: string;
  name: string;
  kind: NotificationTarget['kind'];
  url: string;
}

/** A pino-like logger: object first, message second. */
export interface NotifierLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Posts one JSON body; resolves with the HTTP status, rejects on a network error or timeout. */
export type SendFn = (url: string, body: unknown, signal?: AbortSignal) => Promise<{ status: number }>;

/** Outcome of one delivery attempt (status null when no HTTP answer came). */
export interface DeliveryResult {
  ok: boolean;
  status: number | null;
  error?: string;
  /** The target policy refused the address: trying again cannot help. */
  refused?: boolean;
}

/** The notifier's timing when its options leave it out (the server's config defaults to these). */
export const NOTIFY_DEFAULTS = {
  /** A burst of alerts within this wait goes out as one message per target. */
  groupWaitMs: 2000,
  /** A still-firing, unacknowledged alert is sent again this often. */
  repeatIntervalMs: 4 * 3600_000,
  maxAttempts: 5,
  /** First retry delay; each next one doubles, with jitter. */
  retryBaseMs: 1000,
} as const;

/**
 * The stores the notifier reads and writes: the targets people added, the alerts it tells of (and
 * when it last did), the events of its deliveries, and each agent's status (an agent in maintenance
 * is not notified about again).
 */
export type NotifierStore = NotificationTargetStore & AlertStore & EventStore & Pick<IngestStore, 'getIngestContexts'>;

/** What the notifier needs; every setting but the store has a default. */
export interface NotifierOptions {
  metadata: NotifierStore;
  clock?: () => number;
  groupWaitMs?: number;
  repeatIntervalMs?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  /** Targets from the server config (webhookUrls, slackWebhookUrls, alertmanagerUrls); listed as `config-1`, `config-2`, ... */
  staticTargets?: readonly { kind: NotificationTarget['kind']; url: string }[];
  log?: NotifierLog;
  /** Addresses, CIDR ranges and host names targets may point at though not public (notifyAllowedTargets). */
  allowedTargets?: readonly string[];
  /** Default: a POST under the target policy (egress.ts); tests pass their own. */
  send?: SendFn;
  /** How long close() waits for pending deliveries before abandoning them. */
  closeTimeoutMs?: number;
}

import { GroupBuffer, type Group } from './grouping.js';

export { MAX_GROUP_ALERTS, mergeKind } from './grouping.js';

/** The host of a target URL: what logs and events may show of it. */
export function targetHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}

/** Whether an attempt that failed this way may succeed later (network, 5xx, 408, 429). */
export function isRetryable(status: number | null): boolean {
  return status === null || status >= 500 || status === 408 || status === 429;
}



/** A network error as a short sentence, with the URL (and its secret path) replaced by the host. */
function describeError(err: unknown, url: string): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `timed out after ${SEND_TIMEOUT_MS / 1000} s`;
  if (err instanceof Error && err.name === 'AbortError') return 'aborted';
  let text = String(err);
  if (err instanceof Error) {
    const cause: unknown = (err as { cause?: unknown }).cause;
    text = cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  const host = targetHost(url);
  for (const form of new Set([url, safeHref(url)])) if (form) text = text.split(form).join(host);
  return text;
}

function safeHref(url: string): string | null {
  try {
    return new URL(url).href;
  } catch {
    return null;
  }
}

const SILENT: NotifierLog = { info: () => undefined, warn: () => undefined, error: () => undefined };


/** Delivers alert notifications; use as the monitor's alert listener. */
export class Notifier {
  /** Targets from the server config, with their read-only ids. */
  readonly configTargets: readonly DeliveryTarget[];

  private readonly metadata: NotifierStore;
  private readonly clock: () => number;
  private readonly groupWaitMs: number;
  private readonly repeatIntervalMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly log: NotifierLog;
  private readonly send: SendFn;
  private readonly policy: TargetPolicy;
  private readonly closeTimeoutMs: number;

  /** The burst being gathered (grouping.ts), and the end of its wait. */
  private readonly buffer = new GroupBuffer();
  private waitTimer: NodeJS.Timeout | null = null;
  /** Groups being delivered, and their delivery. */
  private readonly sending = new Map<Group, Promise<void>>();
  /** Wakes backoff sleeps early (close). */
  private readonly sleepers = new Set<() => void>();
  /** Aborts requests in flight (close). */
  private readonly abort = new AbortController();
  /** When each alert was last queued as a repeat, so a failing target does not get one per sweep. */
  private readonly lastRepeat = new Map<string, number>();
  private closing = false;
  private closingDone: Promise<void> | null = null;
  private closed = false;

  constructor({
    metadata,
    clock = Date.now,
    groupWaitMs = NOTIFY_DEFAULTS.groupWaitMs,
    repeatIntervalMs = NOTIFY_DEFAULTS.repeatIntervalMs,
    maxAttempts = NOTIFY_DEFAULTS.maxAttempts,
    retryBaseMs = NOTIFY_DEFAULTS.retryBaseMs,
    staticTargets = [],
    log = SILENT,
    allowedTargets = [],
    send,
    closeTimeoutMs = 2000,
  }: NotifierOptions) {
    this.policy = new TargetPolicy(allowedTargets);
    this.metadata = metadata;
    this.clock = clock;
    this.groupWaitMs = groupWaitMs;
    this.repeatIntervalMs = repeatIntervalMs;
    this.maxAttempts = Math.max(1, maxAttempts);
    this.retryBaseMs = retryBaseMs;
    this.log = log;
    this.send = send ?? guardedPost(this.policy);
    this.closeTimeoutMs = closeTimeoutMs;
    this.configTargets = staticTargets.map((t, i) => ({
      id: `config-${i + 1}`,
      name: `${t.kind} from config (${targetHost(t.url)})`,
      kind: t.kind,
      url: t.url,
    }));
  }

  /** Queues transitions for the open group; returns at once and never throws. */
  alerts(transitions: readonly AlertTransition[]): void {
    try {
      if (this.closing) return;
      this.enqueue(transitions.map((t) => ({ kind: t.kind, alert: t.alert })));
    } catch (err) {
      this.log.error({ err }, 'cannot queue alert notifications');
    }
  }

  /**
   * Queues a reminder for every active, unacknowledged alert not notified for repeatIntervalMs
   * (alerts of agents in maintenance stay quiet). Returns how many were queued; never throws.
   */
  async repeat(): Promise<number> {
    if (this.closing) return 0;
    try {
      if ((await this.activeTargets()).length === 0) return 0;
      const now = this.clock();
      const active = await this.metadata.getActiveAlerts(null);
      const activeIds = new Set(active.map((a) => a.id));
      for (const id of this.lastRepeat.keys()) if (!activeIds.has(id)) this.lastRepeat.delete(id);
      const pending = this.pendingAlertIds();
      const due = active.filter(
        (a) =>
          a.acknowledged_at === null &&
          !pending.has(a.id) &&
          now - Date.parse(a.last_notified_at ?? a.created_at) >= this.repeatIntervalMs &&
          now - (this.lastRepeat.get(a.id) ?? -Infinity) >= this.repeatIntervalMs,
      );
      if (due.length === 0) return 0;
      const agents = await this.metadata.getIngestContexts([...new Set(due.map((a) => a.agent_id))]);
      const queued = due.filter((a) => agents.get(a.agent_id)?.status !== 'maintenance');
      for (const a of queued) this.lastRepeat.set(a.id, now);
      this.enqueue(queued.map((alert) => ({ kind: 'repeat', alert })));
      return queued.length;
    } catch (err) {
      this.log.error({ err }, 'cannot look for alerts to notify again');
      return 0;
    }
  }

  /**
   * Throws TargetRefused when `url` points at (or resolves to) an address that is neither public nor
   * in notifyAllowedTargets: targets are checked when made, and again at every delivery.
   */
  async assertTarget(url: string): Promise<void> {
    await this.policy.assertUrl(url);
  }

  /** Sends one test message to `target` now: no grouping, one attempt. Never throws. */
  async sendTest(target: Pick<DeliveryTarget, 'kind' | 'url'>): Promise<DeliveryResult> {
    try {
      const context: MessageContext = { groupKey: `test-${randomUUID()}`, sentAt: new Date(this.clock()).toISOString() };
      return await this.attempt(target.url, CHANNELS[target.kind].test(context));
    } catch (err) {
      return { ok: false, status: null, error: describeError(err, target.url) };
    }
  }

  /**
   * Flushes the open group at once, waits up to closeTimeoutMs for deliveries (retries included)
   * to finish, then abandons the rest: backoffs end, requests are aborted, nothing is recorded for
   * them but a warning. Transitions arriving after close() are dropped.
   */
  close(): Promise<void> {
    this.closingDone ??= this.shutdown();
    return this.closingDone;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    this.closeOpenGroup();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.allSettled([...this.sending.values()]).then(() => true),
      // Not unref'd: whoever awaits close() wants it to end, and backoff timers alone would not
      // keep the process alive until then.
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.closeTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.closed = true;
    if (!finished) {
      this.log.warn({ groups: this.sending.size }, 'notifier closing: abandoning unfinished deliveries');
      this.abort.abort();
      for (const wake of [...this.sleepers]) wake();
      await Promise.allSettled([...this.sending.values()]);
    }
  }

  /** Gathers items into the open group: a full one goes at once, the open one when its wait ends. */
  private enqueue(items: readonly NotifiedAlert[]): void {
    const full = this.buffer.add(items);
    if (full.length > 0 && this.waitTimer) {
      // The group the wait was for went out full; the next one waits from now.
      clearTimeout(this.waitTimer);
      this.waitTimer = null;
    }
    for (const group of full) this.flush(group);
    if (this.buffer.isOpen && !this.waitTimer) {
      this.waitTimer = setTimeout(() => this.closeOpenGroup(), this.groupWaitMs);
      this.waitTimer.unref();
    }
  }

  /** Sends the open group now (its wait ended, or the notifier closes). */
  private closeOpenGroup(): void {
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    const group = this.buffer.close();
    if (group) this.flush(group);
  }

  private flush(group: Group): void {
    const delivery = this.deliver(group)
      .catch((err: unknown) => this.log.error({ err, group_key: group.key }, 'notification delivery failed'))
      .finally(() => this.sending.delete(group));
    this.sending.set(group, delivery);
  }

  private pendingAlertIds(): Set<string> {
    const ids = new Set<string>();
    for (const id of this.buffer.openIds()) ids.add(id);
    for (const group of this.sending.keys()) for (const id of group.items.keys()) ids.add(id);
    return ids;
  }

  /** Enabled stored targets (read now, so API changes apply to the next message) and config targets. */
  private async activeTargets(): Promise<DeliveryTarget[]> {
    let stored: DeliveryTarget[] = [];
    try {
      stored = (await this.metadata.listNotificationTargets())
        .filter((t) => t.enabled)
        .map(({ id, name, kind, url }) => ({ id, name, kind, url }));
    } catch (err) {
      this.log.error({ err }, 'cannot read notification targets; sending to the configured ones only');
    }
    return [...stored, ...this.configTargets];
  }

  private async deliver(group: Group): Promise<void> {
    const items = [...group.items.values()];
    if (items.length === 0) return;
    const targets = await this.activeTargets();
    if (targets.length === 0) return;
    const context: MessageContext = { groupKey: group.key, sentAt: new Date(this.clock()).toISOString() };
    // One body per kind of target, built once for all its targets.
    const bodies = new Map<DeliveryTarget['kind'], unknown>();
    const bodyFor = (kind: DeliveryTarget['kind']) => {
      if (!bodies.has(kind)) bodies.set(kind, CHANNELS[kind].message(items, context, { repeatIntervalMs: this.repeatIntervalMs }));
      return bodies.get(kind);
    };
    const fingerprints = items.map((i) => i.alert.fingerprint);
    const delivered = await Promise.all(targets.map((t) => this.deliverTo(t, bodyFor(t.kind), fingerprints)));
    if (delivered.some((ok) => ok)) await this.markNotified(items);
  }

  /** One target, with retries; true when it took the message. */
  private async deliverTo(target: DeliveryTarget, body: unknown, fingerprints: readonly string[]): Promise<boolean> {
    const about = { target_id: target.id, target_name: target.name, target_kind: target.kind, host: targetHost(target.url) };
    let attempts = 0;
    let last: DeliveryResult = { ok: false, status: null, error: 'not sent' };
    while (attempts < this.maxAttempts && !this.closed) {
      attempts += 1;
      last = await this.attempt(target.url, body);
      if (last.ok) {
        if (attempts > 1) this.log.info({ ...about, attempts }, 'notification delivered after retries');
        return true;
      }
      if (!isRetryable(last.status) || last.refused || this.closed) break;
      if (attempts < this.maxAttempts) await this.sleep(this.backoffMs(attempts));
    }
    if (this.closed) {
      this.log.warn({ ...about, attempts, status: last.status, error: last.error, fingerprints }, 'notification abandoned at shutdown');
      return false;
    }
    this.log.error({ ...about, attempts, status: last.status, error: last.error, fingerprints }, 'notification failed; giving up');
    try {
      await this.metadata.insertEvents([
        newEvent('system_error', `notification to ${target.kind} target ${target.name} (${about.host}) failed after ${attempts} attempt(s): ${last.error ?? 'unknown error'}`, {
          nowMs: this.clock(),
          severity: 'error',
          data: {
            component: 'notifier',
            ...about,
            attempts,
            last_status: last.status,
            last_error: last.error ?? null,
            fingerprints,
          },
        }),
      ]);
    } catch (err) {
      this.log.error({ ...about, err }, 'cannot record the failed notification as an event');
    }
    return false;
  }

  private async attempt(url: string, body: unknown): Promise<DeliveryResult> {
    try {
      const { status } = await this.send(url, body, this.abort.signal);
      if (status >= 300 && status < 400) return { ok: false, status, error: `HTTP ${status}: a redirect, which is not followed (point the target at the final URL)` };
      return status < 400 ? { ok: true, status } : { ok: false, status, error: `HTTP ${status}` };
    } catch (err) {
      if (err instanceof TargetRefused) return { ok: false, status: null, error: `refused: ${err.message}`, refused: true };
      return { ok: false, status: null, error: describeError(err, url) };
    }
  }

  /** Stamps last_notified_at on the alerts just sent, re-read so a newer state is not overwritten. */
  private async markNotified(items: readonly NotifiedAlert[]): Promise<void> {
    const now = new Date(this.clock()).toISOString();
    for (const { kind, alert } of items) {
      if (kind === 'resolved') continue;
      try {
        const fresh = await this.metadata.getAlert(alert.id);
        if (!fresh || !fresh.is_active) continue;
        await this.metadata.updateAlert({ ...fresh, last_notified_at: now });
      } catch (err) {
        this.log.error({ err, alert_id: alert.id }, 'cannot record when an alert was notified');
      }
    }
  }

  /** Between retryBaseMs · 2^(n-1) and twice that (agentmon's one backoff: half fixed, half random), at most an hour. */
  private backoffMs(failedAttempts: number): number {
    return backoffDelay(failedAttempts - 1, { initialDelayMs: this.retryBaseMs * 2, maxDelayMs: 3_600_000 });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.sleepers.add(wake);
    });
  }
}
