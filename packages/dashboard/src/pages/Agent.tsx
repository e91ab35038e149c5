/**
 * One agent: who it is, its status and health (gauges, score components, checks), its resource,
 * performance and AI metrics over 1 h / 6 h / 24 h / 7 d (drag to zoom), tasks per interval, its
 * alerts, its events and its MonitoringConfig.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { MONITORING_CONFIG_DEFAULTS } from '@agentmon/schema/plain';
import type { AgentDetail, AgentStatus, AlertDetail, HealthDetail, MetricsStreamData, MonitoringConfig } from '@agentmon/schema';
import type { MetricsRow } from '../api.js';
import { useApp } from '../context.js';
import {
  formatBytes,
  formatDateTime,
  formatMs,
  formatNumber,
  formatPercent,
  formatRatio,
  formatRelative,
  formatScore,
  humanize,
} from '../format.js';
import { useAsync, useNow, useRefresh, useThrottled } from '../hooks.js';
import { chartKinds, metricInfo, type ChartKinds } from '../metrics.js';
import { href, setQuery } from '../router.js';
import {
  RANGES,
  RANGE_OPTIONS,
  bucketSeconds,
  defaultRange,
  grid,
  hasData,
  intervalLabel,
  intervalText,
  perInterval,
  toGrid,
  type GridSeries,
  type RangeKey,
} from '../series.js';
import { AlertList } from '../components/AlertList.js';
import { FailedSpansTable } from '../components/FailedSpans.js';
import { bandsFor, incidentBands, type MetricIncident } from '../incidents.js';
import { ConfigForm } from '../components/ConfigForm.js';
import { EventList } from '../components/EventList.js';
import { StatusBadge, scoreTone, statusTone } from '../components/badges.js';
import { Segmented } from '../components/controls.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { Chart, type ChartProps } from '../components/Chart.js';
import { Gauge } from '../components/Gauge.js';
import { ModelUsageTable } from '../components/UsageTables.js';

/** Colours of the custom metrics' charts, in turn. */
const CUSTOM_COLORS = ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6'];

/** Series the charts draw (one query, bucket averages). */
const CHART_METRICS = [
  'cpu_usage_percent',
  'memory_usage_percent',
  'gpu_usage_percent',
  'memory_usage_bytes',
  'network_io_rx_bytes',
  'network_io_tx_bytes',
  'average_response_time_ms',
  'throughput_per_second',
  'error_rate',
  'tokens_per_second',
  'model_inference_time_ms',
  'api_call_latency_ms',
  'model_accuracy',
  'confidence_score',
  'health_score',
] as const;

/** Latest values for the gauges and figures. */
const LATEST_METRICS = [
  'cpu_usage_percent',
  'memory_usage_percent',
  'memory_usage_bytes',
  'average_response_time_ms',
  'error_rate',
  'throughput_per_second',
  'tokens_per_second',
  'model_inference_time_ms',
  'api_call_latency_ms',
  'uptime_seconds',
  'tasks_pending',
] as const;

interface ChartData {
  series: GridSeries;
  /** Custom metric keys charted (their series are `custom.<key>` in `series`). */
  custom: string[];
  tasks: { completed: (number | null)[]; failed: (number | null)[]; cumulative: boolean };
  bucket: number;
}

type Latest = Partial<Record<(typeof LATEST_METRICS)[number] | 'health_score', number | null>> & { status?: string; timestamp?: string };

/** The agent page. */
export function AgentPage({ id, query }: { id: string; query: URLSearchParams }) {
  const { client, config, toast, canEdit } = useApp();
  const now = useNow(15_000);
  const kinds = chartKinds(config);
  const rangeParam = query.get('range');
  const range: RangeKey = rangeParam && rangeParam in RANGES ? (rangeParam as RangeKey) : defaultRange(config.default_time_range_hours);
  const zoomFrom = Number(query.get('from'));
  const zoomTo = Number(query.get('to'));
  const zoom: [number, number] | null = zoomFrom > 0 && zoomTo > zoomFrom ? [zoomFrom, zoomTo] : null;
  const [windowEnd, setWindowEnd] = useState(() => Math.ceil(Date.now() / 1000));

  const agent = useAsync((s) => client.getAgent(id, { signal: s }), [id]);
  const health = useAsync((s) => client.getHealth(id, { signal: s }), [id]);
  const cfg = useAsync((s) => client.getConfig(id, { signal: s }), [id]);
  const alerts = useAsync((s) => client.listAlerts({ agent_id: id, page_size: 20 }, { signal: s }), [id]);
  // The alerts of the charts' range, drawn on them as bands: the latest 200 that began before its end.
  const events = useAsync((s) => client.listEvents({ agent_id: id, limit: 25 }, { signal: s }), [id]);
  const failed = useAsync((s) => client.getFailedSpans(id, { signal: s }), [id]);
  const latest = useAsync(async (s): Promise<Latest> => {
    const end = new Date();
    const r = await client.metrics(
      {
        agent_ids: [id],
        start_time: new Date(end.getTime() - 7 * 86_400_000).toISOString(),
        end_time: end.toISOString(),
        metric_names: [...LATEST_METRICS],
        aggregation: 'last',
      },
      s,
    );
    const row = r.data[0];
    return row ? (Object.fromEntries(LATEST_METRICS.map((m) => [m, typeof row[m] === 'number' ? row[m] : null])) as Latest) : {};
  }, [id]);
  const [tick, setTick] = useState<MetricsStreamData | null>(null);

  const reportEvery = cfg.data?.metrics_interval_seconds ?? MONITORING_CONFIG_DEFAULTS.metrics_interval_seconds;
  const [start, end] = zoom ?? [windowEnd - RANGES[range], windowEnd];
  // Every numeric custom metric the agent reports gets a chart (names from its latest payload).
  const customKey = (agent.data?.custom_metric_names ?? []).join('\n');
  const charts = useAsync(
    (s) => loadCharts(client.metrics.bind(client), id, start, end, reportEvery, customKey ? customKey.split('\n') : [], s),
    [id, start, end, reportEvery, customKey],
  );

  const history = useAsync((s) => client.listAlerts({ agent_id: id, page_size: 200, until: new Date(end * 1000).toISOString() }, { signal: s }), [id, end]);
  const bands = useMemo(() => incidentBands(history.data?.items ?? [], start, end, Math.ceil(Date.now() / 1000)), [history.data, start, end]);

  // This agent's usage by model over the charts' range (none: the section stays hidden).
  const usage = useAsync(
    (s) => client.getUsage({ agent: id, group_by: 'model', start_time: new Date(start * 1000).toISOString(), end_time: new Date(end * 1000).toISOString() }, { signal: s }),
    [id, start, end],
  );

  const reloadAll = () => {
    agent.reload();
    health.reload();
    alerts.reload();
    events.reload();
    failed.reload();
    latest.reload();
    if (!zoom) setWindowEnd(Math.ceil(Date.now() / 1000));
    else usage.reload();
  };
  const reloadState = useThrottled(() => {
    agent.reload();
    health.reload();
  }, 2000);
  const reloadAlerts = useThrottled(() => {
    alerts.reload();
    history.reload();
    health.reload();
  }, 1000);
  const reloadEvents = useThrottled(events.reload, 2000);
  const reloadCharts = useThrottled(() => {
    if (!zoom) setWindowEnd(Math.ceil(Date.now() / 1000));
  }, 15_000);

  useRefresh(reloadAll, (batch) => {
    const m = batch.metrics.get(id);
    if (m) {
      setTick(m);
      reloadCharts();
    }
    if (batch.status.some((s) => s.agent_id === id)) reloadState();
    if (batch.alerts.some((a) => a.alert.agent_id === id)) reloadAlerts();
    if (batch.events.some((e) => e.agent_id === id)) reloadEvents();
  });
  useEffect(() => setTick(null), [latest.data]);

  if (agent.error && !agent.data) {
    return (
      <>
        <div class="crumbs">
          <a href="#/">Overview</a> / Agent
        </div>
        <ErrorState error={agent.error} retry={agent.reload} />
      </>
    );
  }
  if (!agent.data) return <Loading label="Loading the agent…" />;
  const a = agent.data;
  const status = tick?.status ?? a.status;
  const score = tick?.health_score ?? health.data?.health_score ?? a.health_score;
  // When the values shown were reported: an offline agent's last values are history, not its present.
  const valuesAt = tick?.timestamp ?? health.data?.last_metrics ?? null;
  const stale = valuesAt !== null && (status === 'offline' || now - Date.parse(valuesAt) > STALE_INTERVALS * reportEvery * 1000);

  const onZoom = (min: number, max: number) => setQuery({ from: min, to: max });
  const resetZoom = () => setQuery({ from: undefined, to: undefined });

  const toggleMaintenance = async () => {
    try {
      const updated = await client.updateAgent(id, { status: a.status === 'maintenance' ? 'online' : 'maintenance' });
      agent.setData(() => updated);
      toast(updated.status === 'maintenance' ? 'Maintenance on: alerts are silenced' : 'Maintenance off');
      health.reload();
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  };

  const onAlertChange = (updated: AlertDetail) => {
    alerts.setData((p) => p && { ...p, items: p.items.map((x) => (x.id === updated.id ? updated : x)) });
    reloadAlerts();
    events.reload();
  };

  return (
    <>
      <div class="crumbs">
        <a href="#/">Overview</a> / {a.name}
      </div>
      <div class="page-head">
        <div>
          <div class="agent-head">
            <h1 data-testid="agent-name">{a.name}</h1>
            <StatusBadge status={status} />
            <span class="tag">{humanize(a.type)}</span>
            <span class="tag">{a.environment}</span>
          </div>
          <p>
            {a.description ? `${a.description} · ` : ''}
            {a.status_reason && status !== 'online' ? `${humanize(a.status_reason.replace(/[:_]/g, ' '))} · ` : ''}last seen {formatRelative(tick?.timestamp ?? a.last_seen, now)}
          </p>
        </div>
        {canEdit ? (
          <button class="btn" onClick={toggleMaintenance}>
            {a.status === 'maintenance' ? 'End maintenance' : 'Start maintenance'}
          </button>
        ) : null}
      </div>

      <ValuesAge valuesAt={valuesAt} stale={stale} status={status} now={now} />
      <Gauges
        a={a}
        status={status}
        stale={stale}
        health={health.data}
        latest={latest.data}
        tick={tick}
        cfg={cfg.data}
        score={score}
        flat={!kinds.gauge}
        charted={!zoom && charts.data ? { values: charts.data.series.values, per: intervalLabel(charts.data.bucket) } : null}
      />

      <div class="grid two-col section">
        <InfoCard a={a} />
        <HealthCard
          health={health.data}
          error={health.error}
          now={now}
          stale={stale}
          valuesAt={valuesAt}
          checkEvery={cfg.data?.health_check_interval_seconds ?? reportEvery}
        />
      </div>

      <div class="section" data-testid="agent-charts">
        <div class="section-head">
          <h2>Metrics</h2>
          <div class="range-bar">
            {zoom ? (
              <>
                <span class="muted num">
                  {formatDateTime(new Date(zoom[0] * 1000).toISOString())} – {formatDateTime(new Date(zoom[1] * 1000).toISOString())}
                </span>
                <button class="btn small" onClick={resetZoom} data-testid="reset-zoom">
                  Reset zoom
                </button>
              </>
            ) : (
              <span class="muted hide-sm">Drag across a chart to zoom</span>
            )}
            <Segmented label="Time range" value={range} options={RANGE_OPTIONS} onChange={(r) => setQuery({ range: r, from: undefined, to: undefined })} />
          </div>
        </div>
        {charts.error && !charts.data ? <ErrorState error={charts.error} retry={charts.reload} /> : null}
        <ChartGrid data={charts.data} loading={charts.loading} cfg={cfg.data} kinds={kinds} range={[start, end]} bands={bands} onZoom={onZoom} onReset={resetZoom} />
      </div>

      {usage.data && usage.data.rows.length > 0 ? (
        <section class="card flush section" data-testid="agent-models">
          <header>
            <h2>Models</h2>
            <span class="sub">
              {zoom ? 'Tokens and spend in the zoomed range' : `Tokens and spend, last ${range}`} ·{' '}
              <a href={href('/spend')}>Spend →</a>
            </span>
          </header>
          <div class="card-body" style={{ marginTop: 10 }}>
            {usage.data.unpriced_models.length > 0 ? (
              <p class="muted" style={{ margin: '0 16px 10px' }} data-testid="agent-models-unpriced">
                No price for {usage.data.unpriced_models.join(', ')}: {usage.data.unpriced_models.length === 1 ? 'its' : 'their'} cost counts as $0 (
                <a href={href('/spend')}>set a price</a>).
              </p>
            ) : null}
            <ModelUsageTable report={usage.data} testId="agent-usage-by-model" />
          </div>
        </section>
      ) : null}

      {failed.data && failed.data.items.length > 0 ? (
        <section class="card flush section" data-testid="agent-failed-spans">
          <header>
            <h2>Failed spans</h2>
            <span class="sub">
              {failed.data.items.length === 1 ? 'The GenAI span' : `The latest ${failed.data.items.length} GenAI spans`} it exported over OpenTelemetry with
              status ERROR (kept in memory, at most 50)
            </span>
          </header>
          <div class="card-body" style={{ marginTop: 10 }}>
            <FailedSpansTable spans={failed.data.items} now={now} />
          </div>
        </section>
      ) : null}

      <div class="grid two-col section">
        <section class="card" data-testid="agent-alerts">
          <header>
            <h2>Alerts</h2>
            <a href={href('/alerts', { agent_id: id })}>All →</a>
          </header>
          <div class="card-body" style={{ padding: 0, marginTop: 8 }}>
            {alerts.error && !alerts.data ? <ErrorState error={alerts.error} retry={alerts.reload} /> : null}
            {!alerts.data && !alerts.error ? <Loading /> : null}
            {alerts.data && alerts.data.items.length === 0 ? <Empty title="No alerts">This agent has never crossed a threshold.</Empty> : null}
            {alerts.data && alerts.data.items.length > 0 ? (
              <AlertList alerts={[...alerts.data.items].sort((x, y) => Number(y.is_active) - Number(x.is_active))} showAgent={false} onChange={onAlertChange} now={now} />
            ) : null}
          </div>
        </section>
        <section class="card" data-testid="agent-events">
          <header>
            <h2>Events</h2>
            <a href={href('/events', { agent_id: id })}>All →</a>
          </header>
          <div class="card-body" style={{ padding: 0, marginTop: 8 }}>
            {events.error && !events.data ? <ErrorState error={events.error} retry={events.reload} /> : null}
            {!events.data && !events.error ? <Loading /> : null}
            {events.data && events.data.items.length === 0 ? <Empty title="No events" /> : null}
            {events.data && events.data.items.length > 0 ? <EventList events={events.data.items} now={now} showAgent={false} /> : null}
          </div>
        </section>
      </div>

      <section class="card section" data-testid="agent-config">
        <header>
          <h2>Monitoring configuration</h2>
          <span class="sub">Thresholds, alerting, collection and retention for this agent</span>
        </header>
        <div class="card-body">
          {cfg.error && !cfg.data ? <ErrorState error={cfg.error} retry={cfg.reload} /> : null}
          {!cfg.data && !cfg.error ? <Loading /> : null}
          {cfg.data ? (
            <ConfigForm
              agentId={id}
              config={cfg.data}
              onSaved={(c: MonitoringConfig) => {
                cfg.setData(() => c);
                health.reload();
              }}
            />
          ) : null}
        </div>
      </section>
    </>
  );
}

async function loadCharts(
  metrics: ReturnType<typeof useApp>['client']['metrics'],
  id: string,
  start: number,
  end: number,
  reportEvery: number,
  custom: string[],
  signal: AbortSignal,
): Promise<ChartData> {
  const bucket = bucketSeconds(end - start, reportEvery);
  const base = {
    agent_ids: [id],
    start_time: new Date(start * 1000).toISOString(),
    end_time: new Date(end * 1000).toISOString(),
    interval: intervalText(bucket),
  };
  const names = [...CHART_METRICS, ...custom.map((k) => `custom.${k}`)];
  const [avg, sums, maxima] = await Promise.all([
    metrics({ ...base, metric_names: names, aggregation: 'avg', fill: 'null' }, signal),
    metrics({ ...base, metric_names: ['tasks_completed', 'tasks_failed'], aggregation: 'sum' }, signal),
    metrics({ ...base, metric_names: ['tasks_completed', 'tasks_failed'], aggregation: 'max' }, signal),
  ]);
  const xs = grid(start, end, bucket);
  // Join across up to two missed reports; longer silences show as gaps.
  const joinMax = Math.max(1, Math.ceil((3 * reportEvery) / bucket) - 1);
  const series = toGrid(avg.data, names, xs, bucket, joinMax);
  const onGrid = (rows: MetricsRow[]) => toGrid(rows, ['tasks_completed', 'tasks_failed'], xs, bucket, 0).values;
  const s = onGrid(sums.data);
  const m = onGrid(maxima.data);
  const completed = perInterval(s.tasks_completed ?? [], m.tasks_completed ?? []);
  const failed = perInterval(s.tasks_failed ?? [], m.tasks_failed ?? []);
  return { series, custom, bucket, tasks: { completed: completed.values, failed: failed.values, cumulative: completed.cumulative } };
}

/** Metrics intervals without a payload after which the values shown are marked stale (the server's default offline factor). */
const STALE_INTERVALS = 3;

/** How old the values below are, and whether they are stale. */
function ValuesAge({ valuesAt, stale, status, now }: { valuesAt: string | null; stale: boolean; status: AgentStatus; now: number }) {
  if (valuesAt === null) return null;
  const when = `${formatRelative(valuesAt, now)} (${formatDateTime(valuesAt)})`;
  return (
    <p class={`values-age${stale ? ' stale' : ''}`} data-testid="values-age" data-stale={String(stale)}>
      {stale ? (
        <>
          <b>Stale values</b>: the latest report is from {when}
          {status === 'offline' ? '; the agent is offline' : ''}. They show what it last said, not what it does now.
        </>
      ) : (
        <>Latest values from {when}</>
      )}
    </p>
  );
}

function Gauges(props: {
  a: AgentDetail;
  /** The values are old (offline or late): shown greyed, never in a healthy colour. */
  stale: boolean;
  /** The status now (the live stream's, else the agent's): the health gauge wears its colour. */
  status: AgentStatus;
  health: HealthDetail | undefined;
  latest: Latest | undefined;
  tick: MetricsStreamData | null;
  cfg: MonitoringConfig | undefined;
  score: number;
  flat: boolean;
  /**
   * The charts' series (unzoomed): the figures show their latest points, so a figure and the
   * legend of its chart always agree; null while they load or when zoomed into the past.
   */
  charted: { values: GridSeries['values']; per: string } | null;
}) {
  const { latest, tick, cfg, score, flat, charted } = props;
  const cpu = tick?.cpu_usage_percent ?? latest?.cpu_usage_percent ?? null;
  const mem = tick?.memory_usage_percent ?? latest?.memory_usage_percent ?? null;
  /** A figure: its chart's latest point when charted, else the latest report's value. */
  const figure = (name: 'average_response_time_ms' | 'error_rate' | 'tokens_per_second' | 'throughput_per_second') =>
    charted ? latestPoint(charted.values[name]) : (tick?.[name] ?? latest?.[name] ?? null);
  const rt = figure('average_response_time_ms');
  const er = figure('error_rate');
  const tps = figure('tokens_per_second');
  const thr = figure('throughput_per_second');
  const what = charted ? `avg of the last ${charted.per}` : 'latest report';
  const pressure = (v: number | null, t: number | undefined) =>
    v === null || props.stale ? 'idle' : t === undefined ? 'ok' : v >= t ? 'bad' : v >= 0.75 * t ? 'warn' : 'ok';
  const noData = props.status === 'unknown';
  return (
    <>
      <div class={`grid gauges${props.stale ? ' stale' : ''}`} data-testid="gauges" data-stale={String(props.stale)}>
        <Gauge
          testId="gauge-health"
          label="Health score"
          value={noData ? null : score * 100}
          max={100}
          display={formatScore(score)}
          unit="/ 100"
          tone={statusTone(props.status)}
          flat={flat}
          sub={props.health?.status_reason && props.a.status !== 'online' ? humanize(props.health.status_reason.replace(/[:_]/g, ' ')) : undefined}
        />
        <Gauge
          testId="gauge-cpu"
          label="CPU"
          value={cpu}
          max={100}
          display={cpu === null ? '—' : formatPercent(cpu).replace('%', '')}
          unit="%"
          tone={pressure(cpu, cfg?.cpu_threshold)}
          marker={cfg?.cpu_threshold ?? null}
          flat={flat}
          sub={cfg ? `threshold ${formatPercent(cfg.cpu_threshold)}` : undefined}
        />
        <Gauge
          testId="gauge-memory"
          label="Memory"
          value={mem}
          max={100}
          display={mem === null ? '—' : formatPercent(mem).replace('%', '')}
          unit="%"
          tone={pressure(mem, cfg?.memory_threshold)}
          marker={cfg?.memory_threshold ?? null}
          flat={flat}
          sub={latest?.memory_usage_bytes != null ? `${formatBytes(latest.memory_usage_bytes)} used` : cfg ? `threshold ${formatPercent(cfg.memory_threshold)}` : undefined}
        />
        <div class="card figures" data-testid="latest-figures">
          <Figure
            testId="figure-response-time"
            label="Response time"
            value={formatMs(rt)}
            foot={`${what}${cfg ? ` · threshold ${formatMs(cfg.response_time_threshold_ms)}` : ''}`}
            bad={!props.stale && rt !== null && !!cfg && rt >= cfg.response_time_threshold_ms}
          />
          <Figure
            testId="figure-error-rate"
            label="Error rate"
            value={formatRatio(er)}
            foot={`${what}${cfg ? ` · threshold ${formatRatio(cfg.error_rate_threshold)}` : ''}`}
            bad={!props.stale && er !== null && !!cfg && er >= cfg.error_rate_threshold}
          />
          <Figure
            testId="figure-throughput"
            label="Throughput"
            value={thr === null ? '—' : `${formatNumber(thr)}/s`}
            foot={`tasks/s, ${what}${latest?.tasks_pending != null ? ` · ${formatNumber(latest.tasks_pending)} pending` : ''}`}
          />
          <Figure
            testId="figure-tokens"
            label="Tokens"
            value={tps === null ? '—' : `${formatNumber(tps)}/s`}
            foot={
              tps === null && latest?.model_inference_time_ms == null
                ? 'no AI metrics'
                : `${what}${latest?.model_inference_time_ms != null ? ` · inference ${formatMs(latest.model_inference_time_ms)}` : ''}`
            }
          />
        </div>
      </div>
    </>
  );
}

function Figure({ label, value, foot, bad = false, testId }: { label: string; value: string; foot: string; bad?: boolean; testId?: string }) {
  return (
    <div class={`stat${bad ? ' tone-bad' : ''}`} data-testid={testId}>
      <div class="label">{label}</div>
      <div class="value">{value}</div>
      <div class="foot">{foot}</div>
    </div>
  );
}

function InfoCard({ a }: { a: AgentDetail }) {
  const facts: [string, string][] = [
    ['Type', humanize(a.type)],
    ['Version', a.version],
    ['Environment', a.environment],
    ['Deployment', humanize(a.deployment_type)],
    ['Host', a.port ? `${a.host}:${a.port}` : a.host],
    ['Registered', formatDateTime(a.registered_at)],
    ['Last seen', formatDateTime(a.last_seen)],
    ['Agent id', a.id],
  ];
  return (
    <section class="card" data-testid="agent-info">
      <header>
        <h2>Agent</h2>
      </header>
      <div class="card-body">
        <dl class="facts">
          {facts.map(([k, v]) => (
            <div>
              <dt>{k}</dt>
              <dd class={k === 'Agent id' ? 'mono' : ''}>{v}</dd>
            </div>
          ))}
        </dl>
        {a.tags.length > 0 ? (
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 6, marginTop: 14 }}>
            {a.tags.map((t) => (
              <a class="tag" href={href('/', { tag: t })}>
                {t}
              </a>
            ))}
          </div>
        ) : null}
      </div>
    </section>
  );
}

/**
 * The score's parts and the health checks. When the agent's values are stale (offline or late), the
 * parts are its last report's and a check's ✓ is what it said then: both are greyed with their age,
 * never green. A check also goes stale on its own when it is older than three check intervals.
 */
function HealthCard(props: {
  health: HealthDetail | undefined;
  error: Error | undefined;
  now: number;
  stale: boolean;
  valuesAt: string | null;
  /** health_check_interval_seconds: a check older than three of them is stale. */
  checkEvery: number;
}) {
  const { health, error, now, stale } = props;
  const checkStale = (timestamp: string) => stale || now - Date.parse(timestamp) > STALE_INTERVALS * props.checkEvery * 1000;
  return (
    <section class="card" data-testid="agent-health">
      <header>
        <h2>Health</h2>
        {health ? <span class="sub">updated {formatRelative(health.last_updated, now)}</span> : null}
      </header>
      {error && !health ? <ErrorState error={error} /> : null}
      {!health && !error ? <Loading /> : null}
      {health ? (
        <>
          {stale && health.health_components.length > 0 ? (
            <p class="stale-note" data-testid="components-stale">
              Parts of the last report{props.valuesAt ? `, last seen ${formatRelative(props.valuesAt, now)}` : ''}: not current.
            </p>
          ) : null}
          <div class={`card-body kv-bars components${stale ? ' stale' : ''}`} data-testid="score-components" data-stale={String(stale)}>
            {health.health_components.length === 0 ? <span class="muted">No score yet: the agent has not reported.</span> : null}
            {health.health_components.map((c) =>
              c.name === 'cap' ? (
                // Not a term of the average: the status's limit on the score, and why.
                <div class="row" title={c.detail} data-testid="score-cap">
                  <span>Capped by status</span>
                  <span class="muted">{c.detail}</span>
                  <b>≤ {formatScore(c.value)}</b>
                </div>
              ) : (
                <div class="row" title={c.detail} data-testid="score-component" data-name={c.name}>
                  <span>{humanize(c.name)}</span>
                  <span class="track">
                    {/* An old report's term in green would read as healthy now. */}
                    <span class={`fill fill-${stale ? 'idle' : scoreTone(c.value)}`} data-tone={stale ? 'idle' : scoreTone(c.value)} style={{ width: `${Math.round(c.value * 100)}%`, display: 'block' }} />
                  </span>
                  <b title={`weight ${c.weight}`}>
                    {formatScore(c.value)} <span class="muted" style={{ fontWeight: 400 }}>×{c.weight}</span>
                  </b>
                </div>
              ),
            )}
          </div>
          <h3 style={{ padding: '4px 16px 8px' }}>Health checks</h3>
          {health.checks.length === 0 ? (
            <Empty title="No health checks reported" />
          ) : (
            <ul class="checks" data-testid="health-checks">
              {health.checks.map((c) => {
                const old = checkStale(c.timestamp);
                const tone = old ? 'text-idle' : c.status ? 'text-ok' : 'text-bad';
                const said = c.status ? 'passing' : 'failing';
                return (
                  <li data-testid="health-check" data-passing={String(c.status)} data-stale={String(old)} class={old ? 'stale' : ''}>
                    <span class={`ico ${tone}`} aria-label={old ? `${said} when last seen` : said}>
                      {old ? '?' : c.status ? '✓' : '✕'}
                    </span>
                    <span>
                      <b>{c.name}</b>
                      {old ? <span class="muted"> · {said} when last seen</span> : null}
                    </span>
                    <span class="muted num" style={{ fontSize: 12 }} title={formatDateTime(c.timestamp)}>
                      {formatMs(c.execution_time_ms)} · {old ? `last seen ${formatRelative(c.timestamp, now)}` : formatRelative(c.timestamp, now)}
                    </span>
                    {c.message ? <span class="msg">{c.message}</span> : null}
                  </li>
                );
              })}
            </ul>
          )}
        </>
      ) : null}
    </section>
  );
}

/** Bytes per report as bytes per second: agents report what moved since their previous report. */
function perSecond(values: (number | null | undefined)[], everySeconds: number): (number | null | undefined)[] {
  return values.map((x) => (typeof x === 'number' ? x / everySeconds : x));
}

/** The latest value of a chart's series (the last bucket with data), or null. */
function latestPoint(values: (number | null | undefined)[] | undefined): number | null {
  for (let i = (values?.length ?? 0) - 1; i >= 0; i--) {
    const x = values?.[i];
    if (typeof x === 'number') return x;
  }
  return null;
}

function ChartGrid(props: {
  data: ChartData | undefined;
  loading: boolean;
  cfg: MonitoringConfig | undefined;
  kinds: ChartKinds;
  range: [number, number];
  /** The agent's alerts in range, drawn on the charts of their metrics. */
  bands: MetricIncident[];
  onZoom: (min: number, max: number) => void;
  onReset: () => void;
}) {
  const { data, cfg, kinds } = props;
  const v = (name: string) => data?.series.values[name] ?? [];
  const x = data?.series.x ?? [];
  const per = data ? intervalLabel(data.bucket) : '';
  const every = cfg?.metrics_interval_seconds ?? MONITORING_CONFIG_DEFAULTS.metrics_interval_seconds;
  const common: Pick<ChartProps, 'x' | 'xRange' | 'onZoom' | 'onResetZoom' | 'syncKey' | 'kind' | 'loading'> = {
    x,
    xRange: props.range,
    onZoom: props.onZoom,
    onResetZoom: props.onReset,
    syncKey: 'agent',
    kind: kinds.series,
    loading: props.loading,
  };
  const charts = useMemo(() => {
    const list: { group: string; props: ChartProps }[] = [];
    const add = (group: string, p: Omit<ChartProps, keyof typeof common> & Partial<ChartProps>) => list.push({ group, props: { ...common, ...p } });
    const network = hasData(v('network_io_rx_bytes')) || hasData(v('network_io_tx_bytes'));
    add('Resources', {
      testId: 'chart-resources',
      title: 'CPU and memory',
      subtitle: `Average per ${per}`,
      unit: 'percent',
      wide: !network,
      series: [
        { label: 'CPU', color: '--c1', values: v('cpu_usage_percent') },
        { label: 'Memory', color: '--c2', values: v('memory_usage_percent') },
        ...(hasData(v('gpu_usage_percent')) ? [{ label: 'GPU', color: '--c5', values: v('gpu_usage_percent') }] : []),
      ],
      thresholds: cfg
        ? [
            { value: cfg.cpu_threshold, label: 'CPU limit', color: '--c1' },
            { value: cfg.memory_threshold, label: 'Memory limit', color: '--c2' },
          ]
        : [],
    });
    add('Resources', {
      testId: 'chart-memory-bytes',
      title: 'Memory used',
      subtitle: `Average per ${per}`,
      unit: 'bytes',
      series: [{ label: 'Memory', color: '--c2', values: v('memory_usage_bytes') }],
    });
    if (network) {
      add('Resources', {
        testId: 'chart-network',
        title: 'Network I/O',
        subtitle: `Bytes per second (each report's bytes ÷ its ${every} s interval), average per ${per}`,
        unit: 'byterate',
        series: [
          { label: 'In', color: '--c4', values: perSecond(v('network_io_rx_bytes'), every) },
          { label: 'Out', color: '--c3', values: perSecond(v('network_io_tx_bytes'), every) },
        ],
      });
    }
    add('Performance', {
      testId: 'chart-tasks',
      title: 'Tasks completed vs failed',
      subtitle: data?.tasks.cumulative ? `Per ${per}, from the agent's running totals` : `Per ${per}`,
      unit: 'count',
      kind: kinds.counts,
      wide: true,
      series: [
        { label: 'Completed', color: '--c4', values: data?.tasks.completed ?? [] },
        { label: 'Failed', color: '--c5', values: data?.tasks.failed ?? [] },
      ],
    });
    add('Performance', {
      testId: 'chart-response-time',
      title: 'Response time',
      subtitle: `Average per ${per}`,
      unit: 'ms',
      series: [{ label: 'Response time', color: '--c3', values: v('average_response_time_ms') }],
      thresholds: cfg ? [{ value: cfg.response_time_threshold_ms, label: 'Threshold', color: '--bad' }] : [],
    });
    add('Performance', {
      testId: 'chart-error-rate',
      title: 'Error rate',
      subtitle: `Average per ${per}`,
      unit: 'ratio',
      series: [{ label: 'Error rate', color: '--c5', values: v('error_rate') }],
      thresholds: cfg ? [{ value: cfg.error_rate_threshold, label: 'Threshold', color: '--bad' }] : [],
    });
    add('Performance', {
      testId: 'chart-throughput',
      title: 'Throughput',
      subtitle: `Tasks per second, average per ${per}`,
      unit: 'rate',
      series: [{ label: 'Throughput', color: '--c4', values: v('throughput_per_second') }],
    });
    add('Performance', {
      testId: 'chart-health',
      title: 'Health score',
      subtitle: `Scored by agentmon at each report, average per ${per}`,
      unit: 'score',
      series: [{ label: 'Health', color: '--c4', values: v('health_score') }],
    });
    const ai: (Omit<ChartProps, keyof typeof common> & Partial<ChartProps>)[] = [];
    const loaded = data !== undefined;
    if (!loaded || hasData(v('tokens_per_second'))) {
      ai.push({
        testId: 'chart-tokens',
        title: 'Tokens per second',
        subtitle: `Average per ${per}`,
        unit: 'rate',
        series: [{ label: 'Tokens/s', color: '--c6', values: v('tokens_per_second') }],
      });
    }
    if (!loaded || hasData(v('model_inference_time_ms')) || hasData(v('api_call_latency_ms'))) {
      ai.push({
        testId: 'chart-latency',
        title: 'Inference time and API latency',
        subtitle: `Average per ${per}`,
        unit: 'ms',
        series: [
          { label: 'Inference', color: '--c1', values: v('model_inference_time_ms') },
          { label: 'API call', color: '--c3', values: v('api_call_latency_ms') },
        ],
      });
    }
    if (hasData(v('model_accuracy')) || hasData(v('confidence_score'))) {
      ai.push({
        testId: 'chart-quality',
        title: 'Accuracy and confidence',
        subtitle: `Average per ${per}`,
        unit: 'ratio',
        series: [
          { label: 'Accuracy', color: '--c4', values: v('model_accuracy') },
          { label: 'Confidence', color: '--c2', values: v('confidence_score') },
        ],
      });
    }
    ai.forEach((p, i) => add('AI', { ...p, wide: ai.length < 3 && i === 0 }));
    (data?.custom ?? []).forEach((key, i) => {
      const info = metricInfo(`custom.${key}`);
      add('Custom', {
        testId: `chart-custom-${key}`,
        title: info.label,
        subtitle: `custom.${key}, average per ${per}`,
        unit: info.unit,
        series: [{ label: info.label, color: CUSTOM_COLORS[i % CUSTOM_COLORS.length] as string, values: v(`custom.${key}`) }],
      });
    });
    for (const c of list) c.props.incidents = bandsFor(c.props.testId ?? '', props.bands);
    return list;
  }, [data, cfg, kinds.series, kinds.counts, props.range[0], props.range[1], props.loading, props.bands]);

  const groups = ['Resources', 'Performance', 'AI', ...(charts.some((c) => c.group === 'Custom') ? ['Custom'] : [])];
  return (
    <>
      {groups.map((g) => (
        <div class="section" style={{ marginTop: g === 'Resources' ? 0 : 20 }}>
          <h3 class="muted" style={{ margin: '0 0 10px', textTransform: 'uppercase', letterSpacing: '0.05em', fontSize: 12 }}>
            {g === 'AI' ? 'AI' : g}
          </h3>
          <div class="grid charts">
            {charts
              .filter((c) => c.group === g)
              .map((c) => (
                <Chart key={c.props.testId} {...c.props} />
              ))}
            {g === 'AI' && !charts.some((c) => c.group === 'AI') ? (
              <div class="card" style={{ gridColumn: '1 / -1' }}>
                <Empty title="No AI metrics in this range">This agent reports no tokens per second, inference time, API latency or model quality figures.</Empty>
              </div>
            ) : null}
          </div>
        </div>
      ))}
    </>
  );
}
