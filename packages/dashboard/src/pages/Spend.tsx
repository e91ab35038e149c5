/**
 * Spend: what the fleet's LLM calls cost. Today's and this month's spend (UTC periods, as budgets
 * count them), tokens in and out and the cost per task over the chosen range, spend over time,
 * spend by model and by agent, the models without a price (and a form to price them), and the
 * spend budgets (add, remove). Viewer tokens see it all read-only.
 */
import { useState } from 'preact/hooks';
import type { BudgetCreate, BudgetPeriod, BudgetStatus, UsageReport } from '@agentmon/schema';
import { ApiError, type ApiClient } from '../api.js';
import { useApp } from '../context.js';
import { formatDateTime, formatNumber, formatRatio, formatTokens, formatTokensExact, formatUsd } from '../format.js';
import { useAsync, useRefresh, useThrottled } from '../hooks.js';
import { chartKinds } from '../metrics.js';
import { setQuery } from '../router.js';
import { defaultRange, grid, intervalText, toGrid } from '../series.js';
import {
  SPEND_RANGES,
  SPEND_RANGE_OPTIONS,
  budgetFill,
  budgetPeriod,
  budgetScope,
  budgetTone,
  formatUtcDate,
  parseUsd,
  spendBucketSeconds,
  spendRange,
  utcDayStart,
  utcMonthStart,
  type SpendRangeKey,
} from '../spend.js';
import { AgentPicker } from '../components/AgentPicker.js';
import { Chart } from '../components/Chart.js';
import { Segmented } from '../components/controls.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { AgentUsageTable, ModelUsageTable } from '../components/UsageTables.js';

/** The per-agent spend series (dollars per payload, priced at ingest). */
const COST_SERIES = 'custom.gen_ai.cost_usd';

/** Everything the tiles and tables show, read at one instant. */
interface SpendData {
  now: number;
  dayStart: number;
  monthStart: number;
  today: UsageReport;
  month: UsageReport;
  byModel: UsageReport;
  byAgent: UsageReport;
}

async function loadSpend(client: ApiClient, range: SpendRangeKey, signal: AbortSignal): Promise<SpendData> {
  const now = Date.now();
  const end = new Date(now).toISOString();
  const start = new Date(now - SPEND_RANGES[range] * 1000).toISOString();
  const dayStart = utcDayStart(now);
  const monthStart = utcMonthStart(now);
  const [today, month, byModel, byAgent] = await Promise.all([
    client.getUsage({ start_time: new Date(dayStart).toISOString(), end_time: end, group_by: 'model' }, { signal: signal }),
    client.getUsage({ start_time: new Date(monthStart).toISOString(), end_time: end, group_by: 'model' }, { signal: signal }),
    client.getUsage({ start_time: start, end_time: end, group_by: 'model' }, { signal: signal }),
    client.getUsage({ start_time: start, end_time: end, group_by: 'agent' }, { signal: signal }),
  ]);
  return { now, dayStart, monthStart, today, month, byModel, byAgent };
}

/** Spend per bucket over the range, all agents summed, on a grid of bucket starts (seconds). */
interface SpendSeries {
  x: number[];
  values: (number | null | undefined)[];
  bucket: number;
  start: number;
  end: number;
}

async function loadSpendSeries(client: ApiClient, range: SpendRangeKey, signal: AbortSignal): Promise<SpendSeries> {
  const end = Math.ceil(Date.now() / 1000);
  const start = end - SPEND_RANGES[range];
  const bucket = spendBucketSeconds(end - start);
  // From the first bucket's start, so the first bar holds the whole of its hour or day.
  const from = Math.floor(start / bucket) * bucket;
  const r = await client.metrics(
    {
      start_time: new Date(from * 1000).toISOString(),
      end_time: new Date(end * 1000).toISOString(),
      metric_names: [COST_SERIES],
      aggregation: 'sum',
      interval: intervalText(bucket),
      group_by: 'none',
      fill: 'zero',
    },
    signal,
  );
  const xs = grid(from, end, bucket);
  const values = toGrid(r.data, [COST_SERIES], xs, bucket, 0).values[COST_SERIES] ?? [];
  // A bucket nobody reported in spent nothing: zero, not a gap.
  return { x: xs, values: values.map((v) => (typeof v === 'number' ? v : 0)), bucket, start: from, end };
}

/** The Spend page. */
export function SpendPage({ query }: { query: URLSearchParams }) {
  const { client, config } = useApp();
  const range = spendRange(query.get('range'), defaultRange(config.default_time_range_hours));
  const data = useAsync((s) => loadSpend(client, range, s), [range]);
  const series = useAsync((s) => loadSpendSeries(client, range, s), [range]);
  const budgets = useAsync((s) => client.listBudgets({ signal: s }), []);
  const reloadAll = () => {
    data.reload();
    series.reload();
    budgets.reload();
  };
  const reloadSoon = useThrottled(budgets.reload, 2000);
  const reloadLater = useThrottled(reloadAll, 15_000);
  useRefresh(reloadAll, (batch) => {
    if (batch.metrics.size > 0) reloadLater();
    if (batch.alerts.some((a) => a.alert.metric_name?.startsWith('budget:'))) reloadSoon();
  });

  const d = data.data;
  const none = d !== undefined && d.month.rows.length === 0 && d.byModel.rows.length === 0 && d.today.rows.length === 0;
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Spend</h1>
          <p>LLM tokens and what they cost, priced by agentmon as agents report them{d ? ` · updated ${new Date(d.now).toLocaleTimeString()}` : ''}</p>
        </div>
        <div class="range-bar">
          <span class="muted hide-sm">Range</span>
          <Segmented label="Spend range" value={range} options={SPEND_RANGE_OPTIONS} onChange={(r) => setQuery({ range: r })} />
        </div>
      </div>
      {data.error && !d ? <ErrorState error={data.error} retry={data.reload} /> : null}
      {!d && !data.error ? <Loading label="Adding up the spend…" /> : null}
      {none ? <NoUsage origin={window.location.origin} /> : null}
      {d && !none ? (
        <>
          <Tiles d={d} range={range} />
          <Unpriced models={unpricedModels(d)} onPriced={reloadAll} />
          <div class="section">
            <SpendChart series={series.data} loading={series.loading} error={series.error} retry={series.reload} />
          </div>
          <div class="grid two-col section">
            <section class="card flush" data-testid="spend-by-model">
              <header>
                <h2>By model</h2>
                <span class="sub">Last {range}</span>
              </header>
              <div class="card-body" style={{ marginTop: 10 }}>
                {d.byModel.rows.length === 0 ? <Empty title={`No model usage in the last ${range}`} /> : <ModelUsageTable report={d.byModel} />}
              </div>
            </section>
            <section class="card flush" data-testid="spend-by-agent">
              <header>
                <h2>By agent</h2>
                <span class="sub">Last {range} · tasks completed in the range</span>
              </header>
              <div class="card-body" style={{ marginTop: 10 }}>
                {d.byAgent.rows.length === 0 ? <Empty title={`No model usage in the last ${range}`} /> : <AgentUsageTable report={d.byAgent} />}
              </div>
            </section>
          </div>
        </>
      ) : null}
      <Budgets list={budgets.data?.budgets} error={budgets.error} reload={budgets.reload} />
    </>
  );
}

/** Models with tokens and no price, in the range or this month. */
function unpricedModels(d: SpendData): string[] {
  return [...new Set([...d.byModel.unpriced_models, ...d.today.unpriced_models, ...d.month.unpriced_models])].sort();
}

function Tiles({ d, range }: { d: SpendData; range: SpendRangeKey }) {
  const t = d.byModel.totals;
  return (
    <div class="grid stats" data-testid="spend-tiles">
      <div class="card stat" data-testid="tile-today">
        <div class="label">Spend today</div>
        <div class="value">{formatUsd(d.today.totals.cost_usd)}</div>
        <div class="foot">
          <span>since 00:00 UTC</span>
          <span>{formatTokens(d.today.totals.input_tokens + d.today.totals.output_tokens)} tokens</span>
        </div>
      </div>
      <div class="card stat" data-testid="tile-month">
        <div class="label">Spend this month</div>
        <div class="value">{formatUsd(d.month.totals.cost_usd)}</div>
        <div class="foot">
          <span>since {formatUtcDate(d.monthStart)}, 00:00 UTC</span>
        </div>
      </div>
      <div class="card stat" data-testid="tile-range">
        <div class="label">Spend, last {range}</div>
        <div class="value">{formatUsd(t.cost_usd)}</div>
        <div class="foot">
          <span>{t.calls > 0 ? `${formatNumber(t.calls)} model calls` : 'no model calls reported'}</span>
        </div>
      </div>
      <div class="card stat" data-testid="tile-tokens-in">
        <div class="label">Tokens in</div>
        <div class="value" title={formatTokensExact(t.input_tokens)}>
          {formatTokens(t.input_tokens)}
        </div>
        <div class="foot">
          <span>prompt tokens, last {range}</span>
        </div>
      </div>
      <div class="card stat" data-testid="tile-tokens-out">
        <div class="label">Tokens out</div>
        <div class="value" title={formatTokensExact(t.output_tokens)}>
          {formatTokens(t.output_tokens)}
        </div>
        <div class="foot">
          <span>completion tokens, last {range}</span>
        </div>
      </div>
      <div class="card stat" data-testid="tile-cost-per-task">
        <div class="label">Cost per task</div>
        <div class="value">{formatUsd(t.cost_per_task_usd)}</div>
        <div class="foot">
          <span>
            {t.tasks_completed > 0 ? `${formatNumber(t.tasks_completed)} tasks by agents using models` : 'no task completed by agents using models'}
          </span>
        </div>
      </div>
    </div>
  );
}

function SpendChart(props: { series: SpendSeries | undefined; loading: boolean; error: Error | undefined; retry: () => void }) {
  const { config } = useApp();
  const s = props.series;
  const per = s && s.bucket >= 86_400 ? 'day' : 'hour';
  if (props.error && !s) return <ErrorState error={props.error} retry={props.retry} />;
  return (
    <Chart
      testId="spend-chart"
      title="Spend over time"
      subtitle={`Cost per ${per} (UTC), all agents summed: the ${COST_SERIES} series, priced when reported`}
      unit="usd"
      kind={chartKinds(config).counts}
      height={200}
      wide
      x={s?.x ?? []}
      xRange={s ? [s.start, s.end] : undefined}
      loading={props.loading}
      series={[{ label: `Spend per ${per}`, color: '--c1', values: s?.values ?? [] }]}
    />
  );
}

/** Models with no price: their cost counts $0 until someone prices them (admins, here). */
function Unpriced({ models, onPriced }: { models: string[]; onPriced: () => void }) {
  const { canEdit } = useApp();
  if (models.length === 0) return null;
  return (
    <section class="card section callout" data-testid="unpriced">
      <header>
        <h2>Models without a price</h2>
        <span class="sub">A price applies to usage reported after it is set; what was reported before stays at $0.</span>
      </header>
      <ul class="list">
        {models.map((m) => (
          <li key={m} data-testid="unpriced-model" data-model={m}>
            <span class="badge warning">No price</span>
            <div>
              <div data-testid="unpriced-text">
                No price for <b class="mono">{m}</b>: its cost counts as $0 — {canEdit ? 'set a price' : 'an admin can set a price'}.
              </div>
              {canEdit ? <PriceForm model={m} onPriced={onPriced} /> : null}
            </div>
            <span />
          </li>
        ))}
      </ul>
    </section>
  );
}

function PriceForm({ model, onPriced }: { model: string; onPriced: () => void }) {
  const { client, toast } = useApp();
  const [input, setInput] = useState('');
  const [output, setOutput] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const inUsd = parseUsd(input);
    const outUsd = parseUsd(output);
    const local: Record<string, string> = {};
    if (inUsd === null) local.input_usd_per_million = 'a dollar amount, e.g. 0.50';
    if (outUsd === null) local.output_usd_per_million = 'a dollar amount, e.g. 1.50';
    if (inUsd === null || outUsd === null) {
      setErrors(local);
      return;
    }
    setBusy(true);
    try {
      await client.setPrice({ model, input_usd_per_million: inUsd, output_usd_per_million: outUsd });
      setErrors({});
      toast(`Priced ${model}: ${formatUsd(inUsd)} in, ${formatUsd(outUsd)} out per million tokens`);
      onPriced();
    } catch (err) {
      if (err instanceof ApiError) setErrors({ ...err.fieldErrors(), ...(err.details.length === 0 ? { _: err.message } : {}) });
      else setErrors({ _: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const field = (name: 'input_usd_per_million' | 'output_usd_per_million', label: string, value: string, set: (v: string) => void) => (
    <div class="field">
      <label for={`price-${name}-${model}`}>{label}</label>
      <div class="input-unit">
        <input
          id={`price-${name}-${model}`}
          inputMode="decimal"
          value={value}
          placeholder="0.00"
          data-testid={`price-${name === 'input_usd_per_million' ? 'input' : 'output'}`}
          aria-invalid={errors[name] ? 'true' : 'false'}
          onInput={(e) => set(e.currentTarget.value)}
        />
        <span>USD</span>
      </div>
      {errors[name] ? <span class="err">{errors[name]}</span> : null}
    </div>
  );
  return (
    <form class="inline-form" onSubmit={submit} noValidate data-testid="price-form">
      {field('input_usd_per_million', 'Input, per million tokens', input, setInput)}
      {field('output_usd_per_million', 'Output, per million tokens', output, setOutput)}
      <button class="btn primary" type="submit" disabled={busy} data-testid="price-save">
        {busy ? 'Saving…' : 'Set price'}
      </button>
      {errors._ || errors.model ? <span class="form-error">{errors._ ?? errors.model}</span> : null}
    </form>
  );
}

/** How to get usage in: the payload field, the SDKs, OpenTelemetry. */
function NoUsage({ origin }: { origin: string }) {
  return (
    <section class="card section setup-card" data-testid="spend-empty">
      <header>
        <h2>No model usage yet</h2>
        <span class="sub">Spend shows here once agents report the tokens their LLM calls use.</span>
      </header>
      <div class="card-body">
        <ol>
          <li>
            <strong>
              In the metrics payload: <code>model_usage</code>
            </strong>{' '}
            (<code>{'POST /api/v1/agents/<id>/metrics'}</code>)
            <pre>
              <code>{`"model_usage": [{ "model": "gpt-4o", "input_tokens": 1200, "output_tokens": 300, "calls": 2 }]`}</code>
            </pre>
          </li>
          <li>
            <strong>With the SDKs</strong>
            <pre>
              <code>{`monitor.recordTokens(1200, { model: 'gpt-4o', type: 'input' })`}</code>
            </pre>
          </li>
          <li>
            <strong>With OpenTelemetry</strong>: export the GenAI metric <code>gen_ai.client.token.usage</code> (or GenAI spans) to{' '}
            <code>{origin}/v1/metrics</code> (<code>/v1/traces</code>).
          </li>
        </ol>
        <p class="muted">agentmon prices the tokens with its price table when they arrive; a model it has no price for counts $0 until one is set here.</p>
      </div>
    </section>
  );
}

function Budgets({ list, error, reload }: { list: BudgetStatus[] | undefined; error: Error | undefined; reload: () => void }) {
  const { canEdit } = useApp();
  return (
    <div class={`grid ${canEdit ? 'split' : ''} top section`}>
      <section class="card flush" data-testid="budgets">
        <header>
          <h2>Budgets</h2>
          <span class="sub">Alerts at the warning share and at the limit</span>
        </header>
        <div class="card-body" style={{ marginTop: 8 }}>
          {error && !list ? <ErrorState error={error} retry={reload} /> : null}
          {!list && !error ? <Loading /> : null}
          {list && list.length === 0 ? (
            <Empty title="No budgets">{canEdit ? 'Add a daily or monthly limit for the fleet, an agent or an environment.' : 'An admin can add daily or monthly spend limits.'}</Empty>
          ) : null}
          {list && list.length > 0 ? (
            <ul class="list budgets">
              {list.map((b) => (
                <BudgetRow key={b.id} b={b} onRemoved={reload} />
              ))}
            </ul>
          ) : null}
        </div>
      </section>
      {canEdit ? <AddBudget onAdded={reload} /> : null}
    </div>
  );
}

function BudgetRow({ b, onRemoved }: { b: BudgetStatus; onRemoved: () => void }) {
  const { client, toast, canEdit, agentName } = useApp();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const tone = budgetTone(b.state);
  const remove = async () => {
    setBusy(true);
    try {
      await client.deleteBudget(b.id);
      toast(`Removed the budget ${b.name}`);
      onRemoved();
    } catch (err) {
      toast(`Could not remove ${b.name}: ${(err as Error).message}`, 'error');
      setBusy(false);
    }
  };
  return (
    <li data-testid="budget" data-id={b.id} data-state={b.state}>
      <span class={`badge ${tone === 'ok' ? 'online' : tone === 'warn' ? 'warning' : 'critical'}`} data-testid="budget-state">
        {b.state === 'ok' ? 'OK' : b.state === 'warning' ? 'Warning' : 'Exceeded'}
      </span>
      <div>
        <div class="title" data-testid="budget-name">
          {b.name}
        </div>
        <div class="meta">
          <span data-testid="budget-scope">{budgetScope(b, b.agent_id ? agentName(b.agent_id) : undefined)}</span>
          <span>{budgetPeriod(b.period)}</span>
          <span title={formatDateTime(b.period_start)}>warning at {formatRatio(b.warning_ratio)}</span>
        </div>
        <div class="budget-bar" role="progressbar" aria-valuemin={0} aria-valuemax={b.limit_usd} aria-valuenow={b.spent_usd} aria-label={`${b.name}: spent`}>
          <span class={`fill fill-${tone}`} data-tone={tone} style={{ width: `${budgetFill(b.ratio)}%` }} />
          {b.warning_ratio < 1 ? <i class="mark" style={{ left: `${b.warning_ratio * 100}%` }} title={`warning at ${formatRatio(b.warning_ratio)}`} /> : null}
        </div>
        <div class={`budget-figures text-${tone}`} data-testid="budget-figures">
          {formatUsd(b.spent_usd)} of {formatUsd(b.limit_usd)} · {formatRatio(b.ratio)}
        </div>
      </div>
      <div class="actions">
        {!canEdit ? null : confirming ? (
          <>
            <span class="muted">Remove?</span>
            <button class="btn small danger" disabled={busy} onClick={remove} data-testid="budget-remove-confirm">
              {busy ? 'Removing…' : 'Remove'}
            </button>
            <button class="btn small" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <button class="btn small" onClick={() => setConfirming(true)} data-testid="budget-remove">
            Remove
          </button>
        )}
      </div>
    </li>
  );
}

type Scope = 'fleet' | 'agent' | 'environment';

function AddBudget({ onAdded }: { onAdded: () => void }) {
  const { client, toast } = useApp();
  const [name, setName] = useState('');
  const [period, setPeriod] = useState<BudgetPeriod>('day');
  const [limit, setLimit] = useState('');
  const [warning, setWarning] = useState('80');
  const [scope, setScope] = useState<Scope>('fleet');
  const [agentId, setAgentId] = useState('');
  const [environment, setEnvironment] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const limitUsd = parseUsd(limit);
    const warnPct = Number(warning.trim().replace(/%$/, ''));
    const local: Record<string, string> = {};
    if (limitUsd === null || limitUsd <= 0) local.limit_usd = 'a dollar amount above 0';
    if (!Number.isFinite(warnPct) || warning.trim() === '' || warnPct <= 0 || warnPct > 100) local.warning_ratio = 'a share of the limit, 1 to 100 %';
    if (scope === 'agent' && !agentId) local.agent_id = 'pick an agent';
    if (scope === 'environment' && environment.trim() === '') local.environment = 'name an environment';
    if (Object.keys(local).length > 0) {
      setErrors(local);
      return;
    }
    const body: BudgetCreate = {
      name: name.trim(),
      period,
      limit_usd: limitUsd as number,
      warning_ratio: warnPct / 100,
      ...(scope === 'agent' ? { agent_id: agentId } : {}),
      ...(scope === 'environment' ? { environment: environment.trim() } : {}),
    };
    setBusy(true);
    try {
      const made = await client.createBudget(body);
      setErrors({});
      setName('');
      setLimit('');
      toast(`Added the budget ${made.name}`);
      onAdded();
    } catch (err) {
      if (err instanceof ApiError) setErrors({ ...err.fieldErrors(), ...(err.details.length === 0 || err.status === 409 ? { _: err.message } : {}) });
      else setErrors({ _: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (field: string) => (errors[field] ? <span class="err" data-testid={`budget-error-${field}`}>{errors[field]}</span> : null);

  return (
    <section class="card" data-testid="budget-add">
      <header>
        <h2>Add a budget</h2>
      </header>
      <div class="card-body">
        <form class="form" onSubmit={submit} noValidate data-testid="budget-form">
          {errors._ ? <div class="banner">{errors._}</div> : null}
          <div class="field">
            <label for="bg-name">Name</label>
            <input id="bg-name" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="fleet daily" aria-invalid={errors.name ? 'true' : 'false'} />
            {fieldError('name')}
          </div>
          <div class="fieldset">
            <div class="field">
              <label for="bg-period">Period</label>
              <select id="bg-period" value={period} onChange={(e) => setPeriod(e.currentTarget.value as BudgetPeriod)}>
                <option value="day">Day (from 00:00 UTC)</option>
                <option value="month">Month (from the 1st, UTC)</option>
              </select>
            </div>
            <div class="field">
              <label for="bg-limit">Limit</label>
              <div class="input-unit">
                <input id="bg-limit" inputMode="decimal" value={limit} placeholder="50.00" onInput={(e) => setLimit(e.currentTarget.value)} aria-invalid={errors.limit_usd ? 'true' : 'false'} />
                <span>USD</span>
              </div>
              {fieldError('limit_usd') ?? <span class="hint">A critical alert when spend reaches it</span>}
            </div>
            <div class="field">
              <label for="bg-warning">Warn at</label>
              <div class="input-unit">
                <input id="bg-warning" inputMode="decimal" value={warning} onInput={(e) => setWarning(e.currentTarget.value)} aria-invalid={errors.warning_ratio ? 'true' : 'false'} />
                <span>% of the limit</span>
              </div>
              {fieldError('warning_ratio') ?? <span class="hint">100: no warning first</span>}
            </div>
          </div>
          <div class="field">
            <label for="bg-scope">Covers</label>
            <select id="bg-scope" value={scope} onChange={(e) => setScope(e.currentTarget.value as Scope)}>
              <option value="fleet">The whole fleet</option>
              <option value="agent">One agent</option>
              <option value="environment">One environment</option>
            </select>
            {scope === 'agent' ? (
              <>
                <AgentPicker value={agentId} onChange={(id) => setAgentId(id ?? '')} />
                {fieldError('agent_id')}
              </>
            ) : null}
            {scope === 'environment' ? (
              <>
                <input
                  id="bg-environment"
                  aria-label="Environment"
                  value={environment}
                  placeholder="production"
                  onInput={(e) => setEnvironment(e.currentTarget.value)}
                  aria-invalid={errors.environment ? 'true' : 'false'}
                />
                {fieldError('environment')}
              </>
            ) : null}
          </div>
          <div class="form-actions">
            <button class="btn primary" type="submit" disabled={busy} data-testid="budget-submit">
              {busy ? 'Adding…' : 'Add budget'}
            </button>
          </div>
        </form>
      </div>
    </section>
  );
}
