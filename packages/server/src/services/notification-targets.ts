/**
 * Notification targets: those made through the API (stored), and those from the server config
 * (webhookUrls, slackWebhookUrls, alertmanagerUrls), listed read-only with their URL masked since
 * the config is where their secret lives. A target must be an http(s) URL the egress policy lets out
 * (public addresses unless allowed), and an Alertmanager target its alerts endpoint.
 */
import type { NotificationTargetCreate, NotificationTargetView, NotificationTestResult } from '@agentmon/schema';
import { ALERTMANAGER_PATH, isAlertmanagerUrl } from '../config.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { uuidv7 } from '../engine/ids.js';
import type { Notifier } from '../notify/notifier.js';
import { TargetRefused } from '../notify/egress.js';
import type { NotificationTarget, NotificationTargetStore } from '../storage/ports.js';

/** What the targets' use cases need. */
export interface NotificationTargetDeps {
  store: NotificationTargetStore;
  notifier: Pick<Notifier, 'configTargets' | 'assertTarget' | 'sendTest'>;
  clock: () => number;
}

const stored = (t: NotificationTarget): NotificationTargetView => ({ ...t, source: 'api' });

/** The origin of a URL and a marker, so a person recognises the target without seeing its secret. */
function masked(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '…';
  }
}

/** Lists, adds, removes and tests notification targets. */
export class NotificationTargetService {
  constructor(private readonly deps: NotificationTargetDeps) {}

  /** Those from the server config first, then those made through the API. */
  async list(): Promise<NotificationTargetView[]> {
    const fromConfig = this.deps.notifier.configTargets.map(
      (t): NotificationTargetView => ({ ...t, url: masked(t.url), enabled: true, source: 'config', created_at: null }),
    );
    return [...fromConfig, ...(await this.deps.store.listNotificationTargets()).map(stored)];
  }

  /** Checks a new target (400 naming the field) and stores it. */
  async add(input: NotificationTargetCreate): Promise<NotificationTargetView> {
    const { kind, url, enabled } = input;
    const name = input.name.trim();
    if (name === '') throw badRequest('invalid notification target', [{ path: '/body/name', message: 'must not be blank' }]);
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw badRequest('invalid notification target', [{ path: '/body/url', message: 'must be an absolute http(s) URL' }]);
    }
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw badRequest('invalid notification target', [{ path: '/body/url', message: 'must use http or https' }]);
    }
    if (kind === 'alertmanager' && !isAlertmanagerUrl(url)) {
      throw badRequest('invalid notification target', [
        { path: '/body/url', message: `must be Alertmanager's alerts endpoint, ending with ${ALERTMANAGER_PATH} (e.g. http://alertmanager:9093${ALERTMANAGER_PATH})` },
      ]);
    }
    try {
      await this.deps.notifier.assertTarget(url);
    } catch (err) {
      if (!(err instanceof TargetRefused)) throw err;
      throw badRequest('invalid notification target', [{ path: '/body/url', message: err.message }]);
    }
    const now = this.deps.clock();
    const target: NotificationTarget = { id: uuidv7(now), name, kind, url, enabled: enabled ?? true, created_at: new Date(now).toISOString() };
    await this.deps.store.insertNotificationTarget(target);
    return stored(target);
  }

  /** Removes a target made through the API; one from the config is refused (409), an unknown one 404. */
  async remove(id: string): Promise<void> {
    if (this.configTarget(id)) {
      throw new AppError('NOTIFICATION_TARGET_READ_ONLY', `notification target ${id} comes from the server config; remove it there`, [
        { path: '/params/id', message: 'is a config target' },
      ]);
    }
    if (!(await this.deps.store.deleteNotificationTarget(id))) throw notFound('notification target', '/params/id');
  }

  /** Sends one test message now (disabled targets too) and says how the target answered. */
  async test(id: string): Promise<NotificationTestResult> {
    const target = this.configTarget(id) ?? (await this.deps.store.getNotificationTarget(id));
    if (!target) throw notFound('notification target', '/params/id');
    const result = await this.deps.notifier.sendTest(target);
    return { ok: result.ok, status: result.status, error: result.error ?? null };
  }

  private configTarget(id: string) {
    return this.deps.notifier.configTargets.find((t) => t.id === id);
  }
}
