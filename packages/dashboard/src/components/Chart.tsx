/**
 * A time-series chart on uPlot: lines, areas or bars; dashed threshold lines; a tooltip and a
 * legend with each series' latest value; drag to zoom (reported to the page, which refetches a
 * finer range), double-click to zoom out; cursors synced across the charts of a page. Silences
 * (buckets where no series has data) are shaded and labelled "no data", so a gap never reads as a
 * drop; a value alone between silences is drawn as a dot. New data goes through setData (no
 * rebuild); the chart is rebuilt only when its shape or the theme changes.
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { formatUnit, formatBytes, formatMs, formatNumber, formatUsdShort, type Unit } from '../format.js';
import { useApp } from '../context.js';
import { gapRuns } from '../series.js';
import type { ChartIncident } from '../incidents.js';

/** One line (or bar) of a chart. */
export interface ChartSeries {
  label: string;
  /** A CSS variable holding the colour (`--c1`). */
  color: string;
  /** One value per x; null draws a gap, undefined is skipped (the line joins across it). */
  values: (number | null | undefined)[];
}

/** A horizontal dashed line (a threshold). */
export interface ChartThreshold {
  value: number;
  label: string;
  color: string;
}

/** Narrowest an incident band is drawn, CSS pixels: a ten-minute incident on a week is still seen. */
const INCIDENT_MIN_PX = 4;

/** Chart props. */
export interface ChartProps {
  title: string;
  subtitle?: string;
  unit: Unit;
  /** Epoch seconds. */
  x: number[];
  series: ChartSeries[];
  kind: 'line' | 'area' | 'bar';
  height?: number;
  /** The x range shown, epoch seconds (so every chart of a page lines up). */
  xRange?: [number, number];
  thresholds?: ChartThreshold[];
  onZoom?: (min: number, max: number) => void;
  onResetZoom?: () => void;
  syncKey?: string;
  testId?: string;
  loading?: boolean;
  /** Spans two grid columns. */
  wide?: boolean;
  /** Alerts of the metrics charted, drawn as bands under the series. */
  incidents?: ChartIncident[];
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function alpha(color: string, a: number): string {
  if (color.startsWith('#') && color.length === 7) {
    const n = Number.parseInt(color.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
  }
  return color;
}

/** Compact axis labels. */
function axisLabel(v: number, unit: Unit): string {
  switch (unit) {
    case 'percent':
      return `${formatNumber(v)}%`;
    case 'ratio':
      return `${formatNumber(v * 100)}%`;
    case 'ms':
      return formatMs(v).replace(' ', '');
    case 'bytes':
      return formatBytes(v).replace(' ', '');
    case 'byterate':
      return `${formatBytes(v).replace(' ', '')}/s`;
    case 'score':
      return formatNumber(v * 100);
    case 'usd':
      return formatUsdShort(v);
    default:
      return formatNumber(v);
  }
}

const NL = '\n';
const MD = '{MMM} {D}';
/** Time axis labels (uPlot's table): the date under the first tick and at each new day, "Nov 26" style. */
const TIME_AXIS: (string | number | null)[][] = [
  [86_400 * 365, '{YYYY}', null, null, null, null, null, null, 1],
  [86_400 * 28, '{MMM}', NL + '{YYYY}', null, null, null, null, null, 1],
  [86_400, MD, NL + '{YYYY}', null, null, null, null, null, 1],
  [3600, '{h}{aa}', NL + MD, null, NL + MD, null, null, null, 1],
  [60, '{h}:{mm}{aa}', NL + MD, null, NL + MD, null, null, null, 1],
  [1, '{h}:{mm}:{ss}{aa}', NL + MD, null, NL + MD, null, null, null, 1],
];

const fmtTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

function lastValue(values: (number | null | undefined)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (typeof v === 'number') return v;
  }
  return null;
}

/** Indices of values with no value on either side: a line draws nothing for them, so they get a dot. */
function isolated(vs: readonly (number | null | undefined)[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < vs.length; i++) {
    if (typeof vs[i] !== 'number') continue;
    const before = i > 0 ? vs[i - 1] : null;
    const after = i < vs.length - 1 ? vs[i + 1] : null;
    if (typeof before !== 'number' && before !== undefined && typeof after !== 'number' && after !== undefined) out.push(i);
  }
  return out;
}

/** Half the span shown around a chart's only instant (seconds): without it, the time axis spans years. */
const LONE_POINT_SPAN = 1800;

function yRange(unit: Unit, lo: number | null, hi: number | null, thresholds: ChartThreshold[]): [number, number] {
  if (lo === null || hi === null || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    return unit === 'percent' ? [0, 100] : unit === 'ratio' || unit === 'score' ? [0, 1] : [0, 1];
  }
  let min = Math.min(0, lo);
  let max = hi;
  // A threshold within reach is worth showing; one far above the data would flatten it.
  for (const t of thresholds) if (t.value <= Math.max(hi, 1e-9) * 1.6) max = Math.max(max, t.value);
  if (max === min) max = min + (unit === 'ratio' || unit === 'score' ? 0.1 : 1);
  max += (max - min) * 0.1;
  // Bounded units stop just past their bound, so a line at 100% is not drawn on the frame.
  if (unit === 'percent' && hi <= 100) max = Math.min(104, max);
  if ((unit === 'ratio' || unit === 'score') && hi <= 1) max = Math.min(1.04, max);
  if (lo < 0) min -= (max - min) * 0.05;
  return [min, max];
}

/** A chart card. */
export function Chart(props: ChartProps) {
  const { theme } = useApp();
  const box = useRef<HTMLDivElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const live = useRef(props);
  live.current = props;

  const points = useMemo(() => props.series.reduce((n, s) => n + s.values.filter((v) => typeof v === 'number').length, 0), [props.series]);
  const empty = points === 0;
  const gaps = useMemo(() => gapRuns(props.series.map((s) => s.values), props.x.length).length, [props.series, props.x]);
  const shape = JSON.stringify([empty, theme, props.kind, props.unit, props.height, props.series.map((s) => [s.label, s.color]), props.thresholds, !!props.syncKey]);

  // Build (or rebuild) the plot when its shape changes.
  useEffect(() => {
    const el = box.current;
    // Nothing to draw: no plot at all (axes without data say nothing), just the empty state.
    if (!el || empty) return;
    const p = live.current;
    const height = p.height ?? 220;
    const axis = cssVar('--chart-axis');
    const grid = cssVar('--chart-grid');
    const colors = p.series.map((s) => cssVar(s.color));
    const bars = p.kind === 'bar';
    const font = `11px ${getComputedStyle(document.body).fontFamily}`;

    const series: uPlot.Series[] = [
      {},
      ...p.series.map((s, i): uPlot.Series => {
        const c = colors[i] as string;
        return {
          label: s.label,
          stroke: c,
          width: bars ? 1 : 1.75,
          fill: bars ? alpha(c, 0.75) : p.kind === 'area' ? alpha(c, 0.14) : undefined,
          paths: bars ? uPlot.paths.bars!({ size: p.series.length > 1 ? [0.36, 40] : [0.7, 48], align: p.series.length > 1 ? (i === 0 ? -1 : 1) : 0 }) : undefined,
          points: bars
            ? { show: false }
            : {
                size: 6,
                width: 1,
                fill: c,
                filter: (u: uPlot, si: number, show: boolean) => (show ? null : isolated((u.data[si] ?? []) as (number | null | undefined)[])),
              },
          value: (_u, v) => formatUnit(v, p.unit),
        };
      }),
    ];

    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      series,
      legend: { show: false },
      padding: [10, 10, 0, 0],
      cursor: {
        drag: { x: true, y: false, setScale: false },
        points: { size: 7 },
        ...(p.syncKey ? { sync: { key: p.syncKey } } : {}),
      },
      scales: {
        x: {
          time: true,
          range: (_u, min, max) => {
            const r = live.current.xRange;
            if (r) return [r[0], r[1]];
            return max - min < 60 ? [min - LONE_POINT_SPAN, max + LONE_POINT_SPAN] : [min, max];
          },
        },
        y: {
          range: (u) => {
            let lo: number | null = null;
            let hi: number | null = null;
            for (let i = 1; i < u.data.length; i++) {
              for (const v of u.data[i] ?? []) {
                if (typeof v !== 'number') continue;
                lo = lo === null ? v : Math.min(lo, v);
                hi = hi === null ? v : Math.max(hi, v);
              }
            }
            return yRange(live.current.unit, lo, hi, live.current.thresholds ?? []);
          },
        },
      },
      axes: [
        { stroke: axis, font, grid: { stroke: grid, width: 1 }, ticks: { show: false }, space: 70, values: TIME_AXIS as uPlot.Axis.Values },
        {
          stroke: axis,
          font,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          size: 58,
          space: 32,
          values: (_u, splits) => splits.map((v) => axisLabel(v, live.current.unit)),
        },
      ],
      hooks: {
        drawClear: [
          (u) => {
            // Under the series: each alert's time, at least a few pixels wide, with a solid strip on
            // top, so an incident of minutes stays visible on a day or a week of averages.
            const incidents = live.current.incidents ?? [];
            if (incidents.length === 0) return;
            const ctx = u.ctx;
            const top = u.bbox.top;
            const bottom = u.bbox.top + u.bbox.height;
            const left = u.bbox.left;
            const right = u.bbox.left + u.bbox.width;
            const minWidth = INCIDENT_MIN_PX * devicePixelRatio;
            ctx.save();
            for (const inc of incidents) {
              let x0 = u.valToPos(inc.from, 'x', true);
              let x1 = u.valToPos(inc.to, 'x', true);
              if (x1 < left || x0 > right) continue;
              if (x1 - x0 < minWidth) {
                // Widened about its middle, and kept whole inside the plot (an alert of just now
                // sits at the right edge).
                const mid = Math.min(right - minWidth / 2, Math.max(left + minWidth / 2, (x0 + x1) / 2));
                x0 = mid - minWidth / 2;
                x1 = mid + minWidth / 2;
              }
              x0 = Math.max(left, x0);
              x1 = Math.min(right, x1);
              const color = cssVar(inc.severity === 'critical' ? '--bad' : inc.severity === 'warning' ? '--warn' : '--idle');
              ctx.fillStyle = alpha(color, 0.13);
              ctx.fillRect(x0, top, x1 - x0, bottom - top);
              ctx.fillStyle = color;
              ctx.fillRect(x0, top, x1 - x0, 3 * devicePixelRatio);
            }
            ctx.restore();
          },
          (u) => {
            // Under the series: shade each silence and say what it is.
            const xs = u.data[0];
            const runs = gapRuns(u.data.slice(1) as (number | null | undefined)[][], xs.length);
            if (runs.length === 0) return;
            const ctx = u.ctx;
            const step = xs.length > 1 ? (xs[1] as number) - (xs[0] as number) : 0;
            const top = u.bbox.top;
            const bottom = u.bbox.top + u.bbox.height;
            ctx.save();
            ctx.fillStyle = alpha(cssVar('--idle'), 0.12);
            ctx.font = `${10 * devicePixelRatio}px ${getComputedStyle(document.body).fontFamily}`;
            ctx.textAlign = 'center';
            for (const [a, b] of runs) {
              const x0 = Math.max(u.bbox.left, u.valToPos(xs[a] as number, 'x', true));
              const x1 = Math.min(u.bbox.left + u.bbox.width, u.valToPos((xs[b] as number) + step, 'x', true));
              if (x1 - x0 < 1) continue;
              ctx.fillRect(x0, top, x1 - x0, bottom - top);
              if (x1 - x0 > 46 * devicePixelRatio) {
                ctx.fillStyle = cssVar('--idle');
                ctx.fillText('no data', (x0 + x1) / 2, top + 12 * devicePixelRatio);
                ctx.fillStyle = alpha(cssVar('--idle'), 0.12);
              }
            }
            ctx.restore();
          },
        ],
        setScale: [
          (u, key) => {
            // What the time axis spans, for tests and for people reading the DOM.
            if (key !== 'x') return;
            const card = el.closest('section');
            if (!card) return;
            card.dataset.xMin = String(Math.round(u.scales.x?.min ?? 0));
            card.dataset.xMax = String(Math.round(u.scales.x?.max ?? 0));
          },
        ],
        draw: [
          (u) => {
            const ths = live.current.thresholds ?? [];
            if (ths.length === 0) return;
            const ctx = u.ctx;
            for (const t of ths) {
              const y = u.valToPos(t.value, 'y', true);
              if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
              ctx.save();
              ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
              ctx.strokeStyle = cssVar(t.color);
              ctx.lineWidth = 1.25 * devicePixelRatio;
              ctx.beginPath();
              ctx.moveTo(u.bbox.left, y);
              ctx.lineTo(u.bbox.left + u.bbox.width, y);
              ctx.stroke();
              ctx.restore();
            }
          },
        ],
        setSelect: [
          (u) => {
            const sel = u.select;
            const onZoom = live.current.onZoom;
            if (!onZoom || sel.width < 5) return;
            const min = u.posToVal(sel.left, 'x');
            const max = u.posToVal(sel.left + sel.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            onZoom(Math.floor(min), Math.ceil(max));
          },
        ],
        setCursor: [
          (u) => {
            const t = tip.current;
            if (!t) return;
            const idx = u.cursor.idx;
            const left = u.cursor.left ?? -1;
            // Synced charts move their cursor too, but only the chart under the pointer shows a tooltip.
            const own = (u.cursor as { event?: Event | null }).event != null;
            if (idx == null || left < 0 || !own) {
              t.style.display = 'none';
              return;
            }
            const xs = u.data[0];
            const x = xs[idx];
            if (x == null) return;
            const rows = live.current.series
              .map((s, i) => {
                const v = u.data[i + 1]?.[idx];
                return `<div><i style="background:${colors[i]}"></i>${escapeHtml(s.label)}<b>${formatUnit(v ?? null, live.current.unit)}</b></div>`;
              })
              .join('');
            t.innerHTML = `<div class="t">${fmtTime.format(x * 1000)}</div>${rows}`;
            t.style.display = 'block';
            const over = u.over.getBoundingClientRect();
            const host = (el.parentElement ?? el).getBoundingClientRect();
            const w = t.offsetWidth;
            let tx = over.left - host.left + left + 14;
            if (tx + w > host.width) tx = over.left - host.left + left - w - 14;
            t.style.left = `${Math.max(0, tx)}px`;
            t.style.top = `${over.top - host.top + Math.max(0, (u.cursor.top ?? 0) - 30)}px`;
          },
        ],
      },
    };

    const data = [p.x, ...p.series.map((s) => s.values)] as uPlot.AlignedData;
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const onDbl = () => live.current.onResetZoom?.();
    u.over.addEventListener('dblclick', onDbl);
    const onLeave = () => {
      if (tip.current) tip.current.style.display = 'none';
    };
    u.over.addEventListener('mouseleave', onLeave);
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.over.removeEventListener('dblclick', onDbl);
      u.over.removeEventListener('mouseleave', onLeave);
      u.destroy();
      plot.current = null;
    };
  }, [shape]);

  // New data or range: update in place.
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData([props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData);
    if (props.xRange) u.setScale('x', { min: props.xRange[0], max: props.xRange[1] });
  }, [props.x, props.series, props.xRange?.[0], props.xRange?.[1]]);

  // Alerts that came or went: draw again (the bands are read at draw time).
  const incidentKey = JSON.stringify(props.incidents ?? []);
  useEffect(() => {
    plot.current?.redraw(false, false);
  }, [incidentKey]);

  return (
    <section
      class={`card chart-card${props.wide ? ' wide' : ''}`}
      data-testid={props.testId}
      data-points={points}
      data-gaps={gaps}
      data-incidents={(props.incidents ?? []).length}
      data-kind={props.kind}
    >
      <header>
        <div class="chart-title">
          <h2>{props.title}</h2>
          {props.subtitle ? <span class="sub">{props.subtitle}</span> : null}
        </div>
      </header>
      <div class="chart-body">
        <div class="legend">
          {props.series.map((s) => (
            <span>
              <i style={{ background: `var(${s.color})` }} />
              {s.label} <b>{formatUnit(lastValue(s.values), props.unit)}</b>
            </span>
          ))}
          {(props.thresholds ?? []).map((t) => (
            <span class="thr">
              <i style={{ borderColor: `var(${t.color})` }} />
              {t.label} <b>{formatUnit(t.value, props.unit)}</b>
            </span>
          ))}
        </div>
        <div class="chart" style={{ minHeight: `${(props.height ?? 220) + 4}px` }}>
          <div ref={box} />
          {!props.loading && points === 0 ? <div class="empty">No data in this range</div> : null}
          {props.loading && points === 0 ? (
            <div class="empty">
              <div class="spinner" />
            </div>
          ) : null}
          <div class="tooltip" ref={tip} style={{ display: 'none' }} />
        </div>
      </div>
    </section>
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
