/** Status and severity pills, and the health score bar. */
import type { AgentStatus, AlertSeverity, EventSeverity } from '@agentmon/schema';
import { formatScore, humanize } from '../format.js';

/** An agent's status as a coloured pill. */
export function StatusBadge({ status }: { status: AgentStatus }) {
  return <span class={`badge ${status}`} data-status={status}>{humanize(status)}</span>;
}

/** An alert's or event's severity as a coloured pill. */
export function SeverityBadge({ severity, resolved = false }: { severity: AlertSeverity | EventSeverity; resolved?: boolean }) {
  const tone = resolved ? 'resolved' : severity === 'error' ? 'error' : severity;
  return <span class={`badge ${tone}`}>{humanize(severity)}</span>;
}

/** Tone of a health score: ok from 0.8, warn from 0.5. */
export function scoreTone(score: number): 'ok' | 'warn' | 'bad' {
  return score >= 0.8 ? 'ok' : score >= 0.5 ? 'warn' : 'bad';
}

/** A health score as a number and a short bar. */
export function ScoreBar({ score }: { score: number }) {
  const tone = scoreTone(score);
  return (
    <span class="score" title={`health score ${score.toFixed(3)}`}>
      <span class="track">
        <span class={`fill fill-${tone}`} style={{ width: `${Math.round(score * 100)}%`, display: 'block' }} />
      </span>
      <span class={`text-${tone}`}>{formatScore(score)}</span>
    </span>
  );
}
