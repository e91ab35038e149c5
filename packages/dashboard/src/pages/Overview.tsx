/**
 * The overview: fleet summary cards, agents by status, fleet trend charts, active alerts and the
 * agents table.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AlertDetail, AgentStatus } from '@agentmon/schema';
import type { DashboardView, TrendMetric } from '../api.js';
import { useApp } from '../context.js';
import { formatBytes, formatDuration, formatNumber, formatRatio, humanize } from '../format.js';
import { useAsync, useNow, useRefresh, useThrottled } from '../hooks.js';
import { chartKinds, metricInfo } from '../metrics.js';
import { href, setQuery } from '../router.js';
import { RANGES, RANGE_OPTIONS, defaultRange, type RangeKey } from '../series.js';
import { AgentsTable, STATUSES } from '../components/AgentsTable.js';
import { AlertList } from '../components/AlertList.js';
import { Segmented } from '../components/controls.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { Chart } from '../components/Chart.js';
import { SetupCard } from '../components/SetupCard.js';

const TRENDS: { metric: TrendMetric; color: string }[] = [
  { metric: 'cpu_usage_percent', color: '--c1' },
  { metric: 'memory_usage_percent', color: '--c2' },
  { metric: 'average_response_time_ms', color: '--c3' },
  { metric: 'error_rate', color: '--c5' },
  { metric: 'throughput_per_second', color: '--c4' },
  { metric: 'tokens_per_second', color: '--c6' },
];

/** The overview page. */
export function Overview({ query }: { query: URLSearchParams }) {
  const { client, config } = useApp();
  const now = useNow(15_000);
  // The trends' range, as on the agent page (1 h, 6 h, 24 h, 7 d), kept in the URL.
  const rangeParam = query.get('range');
  const range: RangeKey = rangeParam && rangeParam in RANGES ? (rangeParam as RangeKey) : defaultRange(config.default_time_range_hours);
  const trendHours = RANGES[range] / 3600;
  const dash = useAsync((signal) => client.dashboard(signal, trendHours), [trendHours]);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const seen = useRef<Set<string> | null>(null);
  const reloadSoon = useThrottled(dash.reload, 2000);
  const reloadLater = useThrottled(dash.reload, 15_000);

  useRefresh(dash.reload, (batch) => {
    if (batch.alerts.length > 0 || batch.status.length > 0 || batch.events.length > 0) reloadSoon();
    else if (batch.metrics.size > 0) reloadLater();
  });

  // Flash alerts that arrived since the previous load.
  const alerts = dash.data?.active_alerts;
  useEffect(() => {
    if (!alerts) return;
    const ids = new Set(alerts.map((a) => a.id));
    if (seen.current) setFresh(new Set([...ids].filter((id) => !seen.current?.has(id))));
    seen.current = ids;
  }, [alerts]);

  const onAlertChange = (updated: AlertDetail) => {
    dash.setData((d) => d && { ...d, active_alerts: d.active_alerts.filter((a) => a.id !== updated.id || updated.is_active).map((a) => (a.id === updated.id ? updated : a)) });
    reloadSoon();
  };

  const d = dash.data;
  const kinds = chartKinds(config);
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Fleet overview</h1>
          <p>{d ? `${d.summary.agents_total.toLocaleString()} agents · updated ${new Date(d.timestamp).toLocaleTimeString()}` : 'Loading the fleet…'}</p>
        </div>
      </div>
      {dash.error && !d ? <ErrorState error={dash.error} retry={dash.reload} /> : null}
      {!d && !dash.error ? <Loading label="Loading the fleet…" /> : null}
      {d && d.summary.agents_total === 0 ? <SetupCard origin={window.location.origin} /> : null}
      {d ? (
        <>
          <SummaryCards d={d} />
          <div class="grid split section">
            <section class="card" data-testid="active-alerts">
              <header>
                <h2>
                  Active alerts <span class="muted num">({d.summary.active_alerts_total})</span>
                </h2>
                <a href={href('/alerts')}>All alerts →</a>
              </header>
              <div class="card-body" style={{ padding: 0, marginTop: 8 }}>
                {d.active_alerts.length === 0 ? (
                  <Empty title="No active alerts">Every agent is within its thresholds.</Empty>
                ) : (
                  <AlertList alerts={d.active_alerts.slice(0, 6)} onChange={onAlertChange} now={now} fresh={fresh} />
                )}
                {d.active_alerts.length > 6 ? (
                  <div class="pager">
                    <span>{d.active_alerts.length - 6} more active</span>
                    <a href={href('/alerts')}>See all →</a>
                  </div>
                ) : null}
              </div>
            </section>
            <div class="grid" style={{ alignContent: 'start' }}>
              <StatusCard d={d} active={query.get('status') ?? ''} />
              <CompositionCard d={d} />
            </div>
          </div>
          <div class="section">
            <div class="section-head">
              <h2>Fleet trends</h2>
              <div class="range-bar">
                <span class="muted hide-sm" data-testid="trend-span">
                  Average over all agents, last {range}
                </span>
                <Segmented label="Trend range" value={range} options={RANGE_OPTIONS} onChange={(r) => setQuery({ range: r })} />
              </div>
            </div>
            <div class="grid charts" data-testid="trend-charts">
              {TRENDS.map(({ metric, color }) => {
                const points = d.performance_trends[metric] ?? [];
                const info = metricInfo(metric);
                return (
                  <Chart
                    key={metric}
                    testId={`trend-${metric}`}
                    title={info.label}
                    unit={info.unit}
                    kind={kinds.series}
                    height={150}
                    x={points.map((p) => Date.parse(p.timestamp) / 1000)}
                    xRange={[Date.parse(d.timestamp) / 1000 - trendHours * 3600, Date.parse(d.timestamp) / 1000]}
                    series={[{ label: 'Fleet average', color, values: points.map((p) => p.value) }]}
                    syncKey="trends"
                  />
                );
              })}
            </div>
          </div>
        </>
      ) : null}
      <div class="section">
        <div class="section-head">
          <h2>Agents</h2>
        </div>
        <AgentsTable query={query} environments={d ? Object.keys(d.summary.agents_by_environment) : []} />
      </div>
    </>
  );
}

function SummaryCards({ d }: { d: DashboardView }) {
  const s = d.summary;
  const sys = d.system_metrics;
  const by = s.agents_by_status;
  const sev = s.active_alerts_by_severity;
  // How many agents are not well, not an average score: an average of 96 hid the few in error.
  const notWell = by.error + by.offline + by.warning;
  const tone = s.agents_total === 0 ? 'idle' : by.error + by.offline > 0 ? 'bad' : by.warning > 0 ? 'warn' : 'ok';
  return (
    <div class="grid stats" data-testid="summary">
      <div class="card stat">
        <div class="label">Agents</div>
        <div class="value" data-testid="agents-total">{s.agents_total.toLocaleString()}</div>
        <div class="foot">
          <span class="text-ok">{by.online} online</span>
          {by.offline ? <span>{by.offline} offline</span> : null}
          {by.error ? <span class="text-bad">{by.error} error</span> : null}
        </div>
      </div>
      <div class={`card stat tone-${tone}`} data-testid="fleet-health" data-tone={tone}>
        <div class="label">Fleet health</div>
        <div class="value" data-testid="not-well">
          {s.agents_total === 0 ? '—' : notWell === 0 ? 'All well' : notWell.toLocaleString()}
          {notWell > 0 ? <small>not well</small> : null}
        </div>
        <div class="foot">
          <span class={by.error ? 'text-bad' : ''}>{by.error} error</span>
          <span class={by.offline ? 'text-bad' : ''}>{by.offline} offline</span>
          <span class={by.warning ? 'text-warn' : ''}>{by.warning} warning</span>
          {by.maintenance ? <span>{by.maintenance} in maintenance</span> : null}
        </div>
      </div>
      <div class={`card stat ${sev.critical ? 'tone-bad' : s.active_alerts_total ? 'tone-warn' : ''}`}>
        <div class="label">Active alerts</div>
        <div class="value">{s.active_alerts_total}</div>
        <div class="foot">
          <span class={sev.critical ? 'text-bad' : ''}>{sev.critical} critical</span>
          <span class={sev.warning ? 'text-warn' : ''}>{sev.warning} warning</span>
          <span>{sev.info} info</span>
        </div>
      </div>
      <div class="card stat">
        <div class="label">Throughput</div>
        <div class="value">
          {formatNumber(s.fleet.throughput_per_second)}
          <small>tasks/s</small>
        </div>
        <div class="foot">
          <span class={s.fleet.error_rate > 0.05 ? 'text-bad' : ''}>{formatRatio(s.fleet.error_rate)} failed</span>
        </div>
      </div>
      <div class="card stat">
        <div class="label">Tokens</div>
        <div class="value">
          {formatNumber(s.fleet.tokens_per_second)}
          <small>/s</small>
        </div>
        <div class="foot">
          <span>{formatNumber(s.fleet.tasks_completed)} tasks done</span>
        </div>
      </div>
      <div class="card stat">
        <div class="label">Ingest</div>
        <div class="value">
          {formatNumber(sys.ingest_rate_per_second)}
          <small>payloads/s</small>
        </div>
        <div class="foot">
          <span>{formatNumber(sys.points_stored)} stored</span>
          {sys.store_bytes !== null ? <span>{formatBytes(sys.store_bytes)}</span> : null}
          <span title={`agentmon ${sys.version} on ${sys.storage}`}>up {formatDuration(sys.uptime_seconds)}</span>
        </div>
      </div>
    </div>
  );
}

function StatusCard({ d, active }: { d: DashboardView; active: string }) {
  const by = d.summary.agents_by_status;
  const total = d.summary.agents_total;
  const pick = (s: AgentStatus) => setQuery({ status: active === s ? undefined : s, page: undefined });
  return (
    <section class="card" data-testid="status-distribution">
      <header>
        <h2>Agents by status</h2>
        <span class="sub">Click a status to filter the table</span>
      </header>
      <div class="card-body">
        {total === 0 ? (
          <Empty title="No agents registered" />
        ) : (
          <>
            <div class="dist-bar" role="img" aria-label={STATUSES.map((s) => `${by[s]} ${s}`).join(', ')}>
              {STATUSES.filter((s) => by[s] > 0).map((s) => (
                <span class={`bg-${s}`} style={{ width: `${(by[s] / total) * 100}%` }} title={`${humanize(s)}: ${by[s]}`} />
              ))}
            </div>
            <div class="dist-legend">
              {STATUSES.map((s) => (
                <a
                  href={href('/', { status: s })}
                  onClick={(e) => {
                    e.preventDefault();
                    pick(s);
                  }}
                  style={active === s ? { background: 'var(--accent-2)' } : undefined}
                  data-testid={`status-count-${s}`}
                >
                  <i class={`bg-${s}`} />
                  {humanize(s)}
                  <b>{by[s].toLocaleString()}</b>
                </a>
              ))}
            </div>
          </>
        )}
      </div>
    </section>
  );
}

function CompositionCard({ d }: { d: DashboardView }) {
  const types = Object.entries(d.summary.agents_by_type).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  const envs = Object.entries(d.summary.agents_by_environment).sort((a, b) => b[1] - a[1]).slice(0, 5);
  const total = Math.max(1, d.summary.agents_total);
  const rows = (list: [string, number][], param: 'type' | 'env', color: string) =>
    list.map(([k, n]) => (
      <a class="row" href={href('/', { [param]: k })} style={{ color: 'inherit', textDecoration: 'none' }}>
        <span>{param === 'type' ? humanize(k) : k}</span>
        <span class="track">
          <span class="fill" style={{ width: `${(n / total) * 100}%`, display: 'block', background: `var(${color})` }} />
        </span>
        <b>{n}</b>
      </a>
    ));
  return (
    <section class="card" data-testid="composition">
      <header>
        <h2>Fleet composition</h2>
      </header>
      <div class="card-body kv-bars">
        {types.length === 0 ? <span class="muted">Nothing yet.</span> : null}
        {rows(types, 'type', '--c1')}
        {envs.length > 0 ? <h3 class="muted" style={{ marginTop: 8, fontSize: 12, fontWeight: 500 }}>By environment</h3> : null}
        {rows(envs, 'env', '--c2')}
      </div>
    </section>
  );
}
