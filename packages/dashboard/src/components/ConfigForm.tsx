/**
 * An agent's MonitoringConfig as a form. The server validates (one source of truth: the same
 * schema the API enforces); each message of its 400 answer is shown next to the field it names.
 * Saving sends only the fields that changed (PATCH).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ErrorDetail, MonitoringConfig, MonitoringConfigUpdate } from '@agentmon/schema';
import { ApiError } from '../api.js';
import { useApp } from '../context.js';

type NumKey =
  | 'cpu_threshold'
  | 'memory_threshold'
  | 'error_rate_threshold'
  | 'response_time_threshold_ms'
  | 'metrics_interval_seconds'
  | 'health_check_interval_seconds'
  | 'alert_pending_seconds'
  | 'alert_keep_firing_seconds'
  | 'alert_recovery_ratio'
  | 'metrics_retention_days'
  | 'logs_retention_days';
type BoolKey = 'enable_resource_monitoring' | 'enable_performance_monitoring' | 'enable_ai_monitoring';
type MapKey = 'custom_thresholds' | 'critical_thresholds';

interface NumField {
  key: NumKey;
  label: string;
  unit: string;
  hint: string;
  step: string;
}

const GROUPS: { title: string; nums: NumField[]; bools?: { key: BoolKey; label: string }[] }[] = [
  {
    title: 'Alert thresholds',
    nums: [
      { key: 'cpu_threshold', label: 'CPU threshold', unit: '%', hint: '0–100; an alert fires above it', step: 'any' },
      { key: 'memory_threshold', label: 'Memory threshold', unit: '%', hint: '0–100', step: 'any' },
      { key: 'error_rate_threshold', label: 'Error rate threshold', unit: 'ratio', hint: '0–1 (0.05 is 5% of tasks failing)', step: 'any' },
      { key: 'response_time_threshold_ms', label: 'Response time threshold', unit: 'ms', hint: 'Average response time', step: 'any' },
    ],
  },
  {
    title: 'Alert behaviour',
    nums: [
      { key: 'alert_pending_seconds', label: 'Pending period', unit: 's', hint: 'A breach must last this long to fire (0–86400)', step: '1' },
      { key: 'alert_keep_firing_seconds', label: 'Keep firing', unit: 's', hint: 'Stay firing this long after recovery (0–86400)', step: '1' },
      { key: 'alert_recovery_ratio', label: 'Recovery ratio', unit: '×', hint: 'Resolves at threshold × this (0.5–1)', step: 'any' },
    ],
  },
  {
    title: 'Collection',
    nums: [
      { key: 'metrics_interval_seconds', label: 'Metrics every', unit: 's', hint: '1–3600', step: '1' },
      { key: 'health_check_interval_seconds', label: 'Health checks every', unit: 's', hint: '5–300', step: '1' },
    ],
    bools: [
      { key: 'enable_resource_monitoring', label: 'Resource monitoring' },
      { key: 'enable_performance_monitoring', label: 'Performance monitoring' },
      { key: 'enable_ai_monitoring', label: 'AI monitoring' },
    ],
  },
  {
    title: 'Retention',
    nums: [
      { key: 'metrics_retention_days', label: 'Metrics kept', unit: 'days', hint: '1–365', step: '1' },
      { key: 'logs_retention_days', label: 'Logs kept', unit: 'days', hint: '1–90', step: '1' },
    ],
  },
];

const NUM_KEYS = GROUPS.flatMap((g) => g.nums.map((n) => n.key));
const BOOL_KEYS = GROUPS.flatMap((g) => (g.bools ?? []).map((b) => b.key));

interface Pair {
  name: string;
  value: string;
}

interface FormState {
  nums: Record<NumKey, string>;
  bools: Record<BoolKey, boolean>;
  maps: Record<MapKey, Pair[]>;
}

function toForm(c: MonitoringConfig): FormState {
  return {
    nums: Object.fromEntries(NUM_KEYS.map((k) => [k, String(c[k])])) as Record<NumKey, string>,
    bools: Object.fromEntries(BOOL_KEYS.map((k) => [k, c[k]])) as Record<BoolKey, boolean>,
    maps: {
      custom_thresholds: Object.entries(c.custom_thresholds).map(([name, v]) => ({ name, value: String(v) })),
      critical_thresholds: Object.entries(c.critical_thresholds).map(([name, v]) => ({ name, value: String(v) })),
    },
  };
}

/** A text the user typed as the number the API expects (an empty box is sent as null: the server says what it wants). */
function parseNum(s: string): number | null {
  const t = s.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function toMap(pairs: Pair[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pairs) if (p.name.trim() !== '') out[p.name.trim()] = parseNum(p.value) as number;
  return out;
}

function changes(saved: MonitoringConfig, f: FormState): MonitoringConfigUpdate {
  const update: Record<string, unknown> = {};
  for (const k of NUM_KEYS) if (parseNum(f.nums[k]) !== saved[k] || f.nums[k].trim() === '') update[k] = parseNum(f.nums[k]);
  for (const k of BOOL_KEYS) if (f.bools[k] !== saved[k]) update[k] = f.bools[k];
  for (const k of ['custom_thresholds', 'critical_thresholds'] as const) {
    const m = toMap(f.maps[k]);
    if (JSON.stringify(m) !== JSON.stringify(saved[k]) || f.maps[k].some((p) => p.name.trim() === '' && p.value.trim() !== '')) update[k] = m;
  }
  return update as MonitoringConfigUpdate;
}

/** Messages by field: `cpu_threshold` -> "must be <= 100"; nested paths keep their tail. */
function byField(details: readonly ErrorDetail[]): { fields: Record<string, string[]>; other: string[] } {
  const fields: Record<string, string[]> = {};
  const other: string[] = [];
  for (const d of details) {
    const parts = d.path.replace(/^\/body\/?/, '').split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const [field, ...rest] = parts;
    if (!field || !d.path.startsWith('/body')) {
      other.push(d.message);
      continue;
    }
    (fields[field] ??= []).push(rest.length ? `${rest.join('.')}: ${d.message}` : d.message);
  }
  return { fields, other };
}

/** The form. */
export function ConfigForm({ agentId, config, onSaved }: { agentId: string; config: MonitoringConfig; onSaved: (c: MonitoringConfig) => void }) {
  const { client, toast, canEdit } = useApp();
  const [form, setForm] = useState<FormState>(() => toForm(config));
  const [errors, setErrors] = useState<{ fields: Record<string, string[]>; other: string[]; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setForm(toForm(config)), [config]);

  const update = useMemo(() => changes(config, form), [config, form]);
  const dirty = Object.keys(update).length > 0;

  async function submit(e: Event) {
    e.preventDefault();
    if (!dirty) return;
    setBusy(true);
    try {
      const saved = await client.patchConfig(agentId, update);
      setErrors(null);
      onSaved(saved);
      toast('Monitoring configuration saved');
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        const found = byField(err.details);
        setErrors({ ...found, message: err.message });
        // Take the person to the first field the server named.
        const first = NUM_KEYS.find((k) => found.fields[k]);
        if (first) {
          requestAnimationFrame(() => {
            const el = document.getElementById(`cfg-${first}`);
            el?.scrollIntoView({ block: 'center' });
            el?.focus({ preventScroll: true });
          });
        }
      } else {
        setErrors({ fields: {}, other: [(err as Error).message], message: (err as Error).message });
      }
    } finally {
      setBusy(false);
    }
  }

  const setNum = (k: NumKey, v: string) => {
    setForm((f) => ({ ...f, nums: { ...f.nums, [k]: v } }));
    // The message stays until the value changes: then it may be right, the next save will tell.
    if (errors?.fields[k]) setErrors((e) => e && { ...e, fields: Object.fromEntries(Object.entries(e.fields).filter(([key]) => key !== k)) });
  };
  const err = (k: string) => errors?.fields[k];
  const errCount = errors ? Object.values(errors.fields).reduce((n, l) => n + l.length, 0) + errors.other.length : 0;

  return (
    <form class="form" onSubmit={submit} noValidate data-testid="config-form">
      {errors ? (
        <div class="banner" role="alert" data-testid="config-error-summary">
          {errCount > 1 ? `The server rejected ${errCount} values.` : 'The server rejected a value.'} Fix the fields marked below.
          {errors.other.length ? ` ${errors.other.join('; ')}` : ''}
        </div>
      ) : null}
      {GROUPS.map((g) => (
        <fieldset class="fieldset">
          <legend>{g.title}</legend>
          {g.nums.map((n) => {
            const messages = err(n.key);
            const id = `cfg-${n.key}`;
            return (
              <div class="field">
                <label for={id}>{n.label}</label>
                <div class="input-unit">
                  <input
                    id={id}
                    name={n.key}
                    type="number"
                    inputMode="decimal"
                    step={n.step}
                    value={form.nums[n.key]}
                    class={messages ? 'invalid' : ''}
                    aria-invalid={messages ? 'true' : 'false'}
                    aria-describedby={`${id}-hint${messages ? ` ${id}-error` : ''}`}
                    onInput={(e) => setNum(n.key, e.currentTarget.value)}
                  />
                  <span>{n.unit}</span>
                </div>
                {messages ? (
                  <span class="err" id={`${id}-error`} data-testid={`error-${n.key}`}>
                    {messages.join('; ')}
                  </span>
                ) : (
                  <span class="hint" id={`${id}-hint`}>
                    {n.hint}
                  </span>
                )}
              </div>
            );
          })}
          {(g.bools ?? []).map((b) => (
            <label class="field check">
              <input
                type="checkbox"
                name={b.key}
                checked={form.bools[b.key]}
                onChange={(e) => {
                  const checked = e.currentTarget.checked;
                  setForm((f) => ({ ...f, bools: { ...f.bools, [b.key]: checked } }));
                }}
              />
              <span>{b.label}</span>
              {err(b.key) ? <span class="err">{err(b.key)?.join('; ')}</span> : null}
            </label>
          ))}
        </fieldset>
      ))}
      <PairsEditor
        title="Custom thresholds"
        hint="An alert per metric: a built-in metric name (tokens_per_second, api_call_latency_ms, …) or custom.<key>."
        field="custom_thresholds"
        pairs={form.maps.custom_thresholds}
        errors={err('custom_thresholds')}
        onChange={(pairs) => setForm((f) => ({ ...f, maps: { ...f.maps, custom_thresholds: pairs } }))}
      />
      <PairsEditor
        title="Critical levels"
        hint="Above this level an alert is critical rather than a warning (default: halfway between the threshold and the maximum)."
        field="critical_thresholds"
        pairs={form.maps.critical_thresholds}
        errors={err('critical_thresholds')}
        onChange={(pairs) => setForm((f) => ({ ...f, maps: { ...f.maps, critical_thresholds: pairs } }))}
      />
      {canEdit ? null : <p class="muted" data-testid="config-read-only">Read-only: a viewer token cannot change the configuration.</p>}
      {canEdit ? (
        <div class="form-actions">
          <button class="btn primary" type="submit" disabled={!dirty || busy} data-testid="config-save">
            {busy ? 'Saving…' : 'Save changes'}
          </button>
          <button
            class="btn"
            type="button"
            disabled={!dirty || busy}
            onClick={() => {
              setForm(toForm(config));
              setErrors(null);
            }}
          >
            Discard
          </button>
          {dirty ? <span class="muted">{Object.keys(update).length} unsaved change{Object.keys(update).length > 1 ? 's' : ''}</span> : null}
        </div>
      ) : null}
    </form>
  );
}

function PairsEditor(props: { title: string; hint: string; field: MapKey; pairs: Pair[]; errors: string[] | undefined; onChange: (p: Pair[]) => void }) {
  const { pairs, onChange } = props;
  const set = (i: number, patch: Partial<Pair>) => onChange(pairs.map((p, j) => (i === j ? { ...p, ...patch } : p)));
  return (
    <fieldset class="fieldset" style={{ gridTemplateColumns: '1fr' }}>
      <legend>{props.title}</legend>
      <div class="pairs">
        <span class="hint muted" style={{ fontSize: 12 }}>
          {props.hint}
        </span>
        {pairs.map((p, i) => (
          <div class="pair">
            <input aria-label={`${props.title}: metric`} placeholder="metric name" value={p.name} onInput={(e) => set(i, { name: e.currentTarget.value })} />
            <input aria-label={`${props.title}: value`} type="number" step="any" placeholder="value" value={p.value} onInput={(e) => set(i, { value: e.currentTarget.value })} />
            <button type="button" class="btn small" aria-label={`Remove ${p.name || 'row'}`} onClick={() => onChange(pairs.filter((_, j) => j !== i))}>
              Remove
            </button>
          </div>
        ))}
        {props.errors ? (
          <span class="err" data-testid={`error-${props.field}`} style={{ color: 'var(--bad)', fontSize: 12, fontWeight: 500 }}>
            {props.errors.join('; ')}
          </span>
        ) : null}
        <div>
          <button type="button" class="btn small" onClick={() => onChange([...pairs, { name: '', value: '' }])}>
            + Add
          </button>
        </div>
      </div>
    </fieldset>
  );
}
