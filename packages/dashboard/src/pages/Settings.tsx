/** Dashboard settings (DashboardConfig, kept by the server) and agentmon's own figures. */
import { useEffect, useState } from 'preact/hooks';
import type { DashboardConfig } from '@agentmon/schema';
import { ApiError } from '../api.js';
import { useApp } from '../context.js';
import { formatBytes, formatDuration, formatNumber } from '../format.js';
import { useAsync } from '../hooks.js';
import { href } from '../router.js';
import { ErrorState, Loading } from '../components/states.js';

const KINDS = ['line', 'area', 'bar', 'gauge'] as const;

/** The tabs over the settings pages. */
export function SettingsTabs({ active }: { active: 'dashboard' | 'notifications' }) {
  // Notification targets hold secrets (webhook URLs): a viewer token may not read them.
  const { canEdit } = useApp();
  if (!canEdit) return null;
  return (
    <nav class="tabs" aria-label="Settings">
      <a href={href('/settings')} class={active === 'dashboard' ? 'active' : ''} aria-current={active === 'dashboard' ? 'page' : undefined}>
        Dashboard
      </a>
      <a href={href('/settings/notifications')} class={active === 'notifications' ? 'active' : ''} aria-current={active === 'notifications' ? 'page' : undefined} data-testid="tab-notifications">
        Notifications
      </a>
    </nav>
  );
}

/** The settings page. */
export function SettingsPage() {
  const { client, config, setConfig, toast, canEdit } = useApp();
  const [form, setForm] = useState({
    refresh: String(config.refresh_interval_seconds),
    range: String(config.default_time_range_hours),
    perPage: String(config.max_agents_per_page),
    realtime: config.enable_real_time_updates,
    kinds: new Set(config.chart_types),
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const system = useAsync((s) => client.dashboard(s).then((d) => d.system_metrics), []);
  useEffect(() => setErrors({}), [config]);

  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    const num = (s: string) => (s.trim() === '' ? null : Number(s));
    const body = {
      refresh_interval_seconds: num(form.refresh),
      default_time_range_hours: num(form.range),
      max_agents_per_page: num(form.perPage),
      enable_real_time_updates: form.realtime,
      chart_types: KINDS.filter((k) => form.kinds.has(k)),
    } as unknown as DashboardConfig;
    try {
      const saved = await client.putDashboardConfig(body);
      setErrors({});
      setConfig(saved);
      toast('Dashboard settings saved');
    } catch (err) {
      if (err instanceof ApiError) setErrors({ ...err.fieldErrors(), ...(err.details.length === 0 ? { _: err.message } : {}) });
      else setErrors({ _: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }

  const field = (key: 'refresh' | 'range' | 'perPage', name: string, label: string, unit: string, hint: string) => (
    <div class="field">
      <label for={`ds-${name}`}>{label}</label>
      <div class="input-unit">
        <input
          id={`ds-${name}`}
          type="number"
          value={form[key]}
          class={errors[name] ? 'invalid' : ''}
          aria-invalid={errors[name] ? 'true' : 'false'}
          onInput={(e) => {
            const v = e.currentTarget.value;
            setForm((f) => ({ ...f, [key]: v }));
          }}
        />
        <span>{unit}</span>
      </div>
      {errors[name] ? <span class="err">{errors[name]}</span> : <span class="hint">{hint}</span>}
    </div>
  );

  return (
    <>
      <div class="page-head">
        <div>
          <h1>Settings</h1>
          <p>How the dashboard refreshes and draws, for everyone using this server.</p>
        </div>
      </div>
      <SettingsTabs active="dashboard" />
      <div class="grid split top">
        <section class="card">
          <header>
            <h2>Dashboard</h2>
          </header>
          <div class="card-body">
            <form class="form" onSubmit={save} noValidate data-testid="settings-form">
              {errors._ ? <div class="banner">{errors._}</div> : null}
              <fieldset class="fieldset">
                <legend>Updates</legend>
                <label class="field check">
                  <input type="checkbox" checked={form.realtime} onChange={(e) => {
                    const v = e.currentTarget.checked;
                    setForm((f) => ({ ...f, realtime: v }));
                  }} />
                  <span>Real-time updates (live stream)</span>
                </label>
                {field('refresh', 'refresh_interval_seconds', 'Refresh every', 's', 'When real-time updates are off (5–300)')}
              </fieldset>
              <fieldset class="fieldset">
                <legend>Display</legend>
                {field('range', 'default_time_range_hours', 'Default time range', 'h', 'Fleet trends and agent charts (1–168)')}
                {field('perPage', 'max_agents_per_page', 'Agents per page', 'rows', '10–200')}
              </fieldset>
              <fieldset class="fieldset">
                <legend>Chart types</legend>
                {KINDS.map((k) => (
                  <label class="field check" style={{ paddingTop: 0 }}>
                    <input
                      type="checkbox"
                      checked={form.kinds.has(k)}
                      onChange={(e) => {
                        const on = e.currentTarget.checked;
                        setForm((f) => {
                          const kinds = new Set(f.kinds);
                          if (on) kinds.add(k);
                          else kinds.delete(k);
                          return { ...f, kinds };
                        });
                      }}
                    />
                    <span>{k[0]?.toUpperCase() + k.slice(1)}</span>
                  </label>
                ))}
                {errors.chart_types ? <span class="err">{errors.chart_types}</span> : null}
              </fieldset>
              {canEdit ? null : <p class="muted" data-testid="settings-read-only">Read-only: a viewer token cannot change the settings.</p>}
              {canEdit ? (
                <div class="form-actions">
                  <button class="btn primary" type="submit" disabled={busy} data-testid="settings-save">
                    {busy ? 'Saving…' : 'Save settings'}
                  </button>
                </div>
              ) : null}
            </form>
          </div>
        </section>
        <section class="card">
          <header>
            <h2>This server</h2>
          </header>
          {system.error && !system.data ? <ErrorState error={system.error} retry={system.reload} /> : null}
          {!system.data && !system.error ? <Loading /> : null}
          {system.data ? (
            <div class="card-body">
              <dl class="facts" style={{ gridTemplateColumns: 'repeat(auto-fill, minmax(140px, 1fr))' }}>
                {(
                  [
                    ['Version', system.data.version],
                    ['Storage', system.data.storage],
                    ['Uptime', formatDuration(system.data.uptime_seconds)],
                    ['Ingest', `${formatNumber(system.data.ingest_rate_per_second)} payloads/s`],
                    ['Payloads received', formatNumber(system.data.payloads_received)],
                    ['Points stored', formatNumber(system.data.points_stored)],
                    ['Store size', formatBytes(system.data.store_bytes)],
                    ['Live clients', String(system.data.stream_clients)],
                  ] as [string, string][]
                ).map(([k, v]) => (
                  <div>
                    <dt>{k}</dt>
                    <dd class="num">{v}</dd>
                  </div>
                ))}
              </dl>
              <p class="muted" style={{ marginBottom: 0 }}>
                API reference: <a href="/docs">/docs</a>
              </p>
            </div>
          ) : null}
        </section>
      </div>
    </>
  );
}
