/** A 240° arc gauge (or a flat bar when chart_types leaves out 'gauge') for a value in [0, max]. */
import type { ComponentChildren } from 'preact';

/** Gauge props: `tone` picks the colour; `marker` draws a tick (a threshold) on the arc. */
export interface GaugeProps {
  label: string;
  /** 0..max, or null when there is no data. */
  value: number | null;
  max: number;
  /** The big number as shown ("87", "42.5"). */
  display: string;
  unit?: string;
  tone: 'ok' | 'warn' | 'bad' | 'idle';
  marker?: number | null;
  sub?: ComponentChildren;
  flat?: boolean;
  testId?: string;
}

const START = 150;
const SWEEP = 240;
const CX = 100;
const CY = 100;
const R = 80;

function point(deg: number, r = R): [number, number] {
  const a = (deg * Math.PI) / 180;
  return [CX + r * Math.cos(a), CY + r * Math.sin(a)];
}

function arc(fromDeg: number, toDeg: number): string {
  const [x1, y1] = point(fromDeg);
  const [x2, y2] = point(toDeg);
  const large = toDeg - fromDeg > 180 ? 1 : 0;
  return `M ${x1.toFixed(2)} ${y1.toFixed(2)} A ${R} ${R} 0 ${large} 1 ${x2.toFixed(2)} ${y2.toFixed(2)}`;
}

const toneColor = { ok: 'var(--ok)', warn: 'var(--warn)', bad: 'var(--bad)', idle: 'var(--idle)' } as const;

/** A gauge card. */
export function Gauge(props: GaugeProps) {
  const frac = props.value === null ? 0 : Math.min(1, Math.max(0, props.value / props.max));
  const color = toneColor[props.tone];
  const label = `${props.label}: ${props.value === null ? 'no data' : `${props.display}${props.unit ?? ''}`}`;
  if (props.flat) {
    return (
      <div class="card gauge-flat" data-testid={props.testId} data-tone={props.tone} role="meter" aria-label={label} aria-valuenow={props.value ?? undefined} aria-valuemin={0} aria-valuemax={props.max}>
        <div class="stat" style={{ padding: 0 }}>
          <div class="label">{props.label}</div>
          <div class="value" style={{ color: props.value === null ? undefined : color }}>
            {props.value === null ? '—' : props.display}
            {props.value !== null && props.unit ? <small>{props.unit}</small> : null}
          </div>
        </div>
        <div class="track">
          <div class="fill" style={{ width: `${frac * 100}%`, background: color }} />
        </div>
        {props.sub ? <div class="g-sub">{props.sub}</div> : null}
      </div>
    );
  }
  const markerDeg = props.marker != null ? START + SWEEP * Math.min(1, Math.max(0, props.marker / props.max)) : null;
  return (
    <div class="card gauge" data-testid={props.testId} data-tone={props.tone} role="meter" aria-label={label} aria-valuenow={props.value ?? undefined} aria-valuemin={0} aria-valuemax={props.max}>
      <svg viewBox="0 6 200 150" aria-hidden="true">
        <path d={arc(START, START + SWEEP)} fill="none" stroke="var(--gauge-track)" stroke-width="14" stroke-linecap="round" />
        {props.value !== null && frac > 0 ? (
          <path d={arc(START, START + Math.max(1, SWEEP * frac))} fill="none" stroke={color} stroke-width="14" stroke-linecap="round" />
        ) : null}
        {markerDeg !== null ? (
          <line
            x1={point(markerDeg, R - 11)[0]}
            y1={point(markerDeg, R - 11)[1]}
            x2={point(markerDeg, R + 11)[0]}
            y2={point(markerDeg, R + 11)[1]}
            stroke="var(--text-2)"
            stroke-width="2.5"
            stroke-linecap="round"
          />
        ) : null}
        <text x={CX} y={CY + 6} text-anchor="middle" class="g-value">
          {props.value === null ? '—' : props.display}
        </text>
        {props.unit && props.value !== null ? (
          <text x={CX} y={CY + 28} text-anchor="middle" class="g-unit">
            {props.unit}
          </text>
        ) : null}
      </svg>
      <div class="g-label">{props.label}</div>
      {props.sub ? <div class="g-sub">{props.sub}</div> : null}
    </div>
  );
}
