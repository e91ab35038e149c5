/**
 * Settings → Notifications: where alert messages go. Lists the targets (those made here and those
 * from the server config, which cannot be deleted here), adds a webhook, Slack or Alertmanager target, sends a
 * test message and shows how the target answered, and deletes after a confirmation.
 */
import { useState } from 'preact/hooks';
import type { NotificationTargetKind, NotificationTargetView, NotificationTestResult } from '@agentmon/schema';
import { NOTIFICATION_TARGET_KINDS } from '@agentmon/schema/plain';
import { ApiError } from '../api.js';
import { useApp } from '../context.js';
import { formatRelative, humanize } from '../format.js';
import { useAsync, useNow } from '../hooks.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { SettingsTabs } from './Settings.js';

/** How each kind of target reads here: a kind the schema gains fails to compile until it is named. */
const KIND_TEXTS: Record<NotificationTargetKind, { label: string; badge: string; hint: string; example: string }> = {
  webhook: { label: 'Webhook (JSON)', badge: 'Webhook', hint: 'Every alert as JSON, with its fingerprint', example: 'https://example.com/hooks/agentmon' },
  slack: { label: 'Slack', badge: 'Slack', hint: 'A Slack incoming-webhook URL', example: 'https://hooks.slack.com/services/…' },
  alertmanager: { label: 'Alertmanager', badge: 'Alertmanager', hint: "Alertmanager's alerts API", example: 'http://alertmanager:9093/api/v2/alerts' },
};
const KINDS = NOTIFICATION_TARGET_KINDS.map((value) => ({ value, ...KIND_TEXTS[value] }));

/** The notifications page. */
export function NotificationsPage() {
  const { client } = useApp();
  const now = useNow(30_000);
  const list = useAsync((s) => client.listNotificationTargets({ signal: s }), []);
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Settings</h1>
          <p>Where alert messages go when alerts fire, escalate and resolve.</p>
        </div>
      </div>
      <SettingsTabs active="notifications" />
      <div class="grid split top">
        <section class="card flush" data-testid="notification-targets">
          <header>
            <h2>Notification targets</h2>
          </header>
          {list.error && !list.data ? <ErrorState error={list.error} retry={list.reload} /> : null}
          {!list.data && !list.error ? <Loading /> : null}
          {list.data && list.data.items.length === 0 ? <Empty title="No notification targets">Add a webhook or a Slack channel so alerts reach someone.</Empty> : null}
          {list.data && list.data.items.length > 0 ? (
            <ul class="list targets">
              {list.data.items.map((t) => (
                <TargetRow key={t.id} target={t} now={now} onDeleted={list.reload} />
              ))}
            </ul>
          ) : null}
        </section>
        <AddTarget onAdded={list.reload} />
      </div>
    </>
  );
}

function TargetRow({ target: t, now, onDeleted }: { target: NotificationTargetView; now: number; onDeleted: () => void }) {
  const { client, toast } = useApp();
  const [busy, setBusy] = useState<'test' | 'delete' | null>(null);
  const [result, setResult] = useState<NotificationTestResult | null>(null);
  const [confirming, setConfirming] = useState(false);

  const test = async () => {
    setBusy('test');
    setResult(null);
    try {
      setResult(await client.testNotificationTarget(t.id));
    } catch (err) {
      toast(`Could not send a test: ${(err as Error).message}`, 'error');
    } finally {
      setBusy(null);
    }
  };
  const remove = async () => {
    setBusy('delete');
    try {
      await client.deleteNotificationTarget(t.id);
      toast(`Deleted ${t.name}`);
      onDeleted();
    } catch (err) {
      toast(`Could not delete ${t.name}: ${(err as Error).message}`, 'error');
      setBusy(null);
    }
  };

  return (
    <li data-testid="notification-target" data-id={t.id} data-source={t.source}>
      <span class="badge">{KIND_TEXTS[t.kind].badge}</span>
      <div>
        <div class="title">{t.name}</div>
        <div class="meta">
          <span class="mono">{t.url}</span>
          <span>{t.source === 'config' ? 'from the server config' : `added ${formatRelative(t.created_at, now)}`}</span>
          {!t.enabled ? <span>disabled</span> : null}
        </div>
        {result ? (
          <div class={result.ok ? 'text-ok' : 'text-bad'} data-testid="notification-test-result" data-ok={String(result.ok)}>
            {result.ok ? `Test sent: the target answered ${result.status}` : `Test failed: ${result.error ?? `the target answered ${result.status}`}`}
          </div>
        ) : null}
      </div>
      <div class="actions">
        {confirming ? (
          <>
            <span class="muted">Delete {t.name}?</span>
            <button class="btn small danger" disabled={busy !== null} onClick={remove} data-testid="notification-delete-confirm">
              {busy === 'delete' ? 'Deleting…' : 'Delete'}
            </button>
            <button class="btn small" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <>
            <button class="btn small" disabled={busy !== null} onClick={test} data-testid="notification-test">
              {busy === 'test' ? 'Sending…' : 'Send test'}
            </button>
            {t.source === 'api' ? (
              <button class="btn small" disabled={busy !== null} onClick={() => setConfirming(true)} data-testid="notification-delete">
                Delete
              </button>
            ) : null}
          </>
        )}
      </div>
    </li>
  );
}

function AddTarget({ onAdded }: { onAdded: () => void }) {
  const { client, toast } = useApp();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<NotificationTargetKind>('webhook');
  const [url, setUrl] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const made = await client.createNotificationTarget({ name, kind, url: url.trim() });
      setErrors({});
      setName('');
      setUrl('');
      toast(`Added ${made.name}`);
      onAdded();
    } catch (err) {
      // The server's words next to each field, as the config form does.
      if (err instanceof ApiError) setErrors({ ...err.fieldErrors(), ...(err.details.length === 0 ? { _: err.message } : {}) });
      else setErrors({ _: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (field: string) => (errors[field] ? <span class="err" data-testid={`notification-error-${field}`}>{errors[field]}</span> : null);

  return (
    <section class="card">
      <header>
        <h2>Add a target</h2>
      </header>
      <div class="card-body">
        <form class="form" onSubmit={submit} noValidate data-testid="notification-form">
          {errors._ ? <div class="banner">{errors._}</div> : null}
          <div class="field">
            <label for="nt-name">Name</label>
            <input id="nt-name" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="on-call" aria-invalid={errors.name ? 'true' : 'false'} />
            {fieldError('name')}
          </div>
          <div class="field">
            <label for="nt-kind">Kind</label>
            <select id="nt-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as NotificationTargetKind)}>
              {KINDS.map((k) => (
                <option value={k.value}>{k.label}</option>
              ))}
            </select>
            <span class="hint">{KINDS.find((k) => k.value === kind)?.hint}</span>
          </div>
          <div class="field">
            <label for="nt-url">URL</label>
            <input id="nt-url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} placeholder={KIND_TEXTS[kind].example} aria-invalid={errors.url ? 'true' : 'false'} />
            {fieldError('url') ?? <span class="hint">{humanize(kind)} messages are POSTed here</span>}
          </div>
          <div class="form-actions">
            <button class="btn primary" type="submit" disabled={busy} data-testid="notification-add">
              {busy ? 'Adding…' : 'Add target'}
            </button>
          </div>
        </form>
      </div>
    </section>
  );
}
