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

/** Tone of a health score's component (a term of the score, not an agent): ok from 0.8, warn from 0.5. */
export function scoreTone(score: number): 'ok' | 'warn' | 'bad' {
  return score >= 0.8 ? 'ok' : score >= 0.5 ? 'warn' : 'bad';
}

/**
 * The colour of an agent: its status's, wherever its score or status shows (gauges, table, cards),
 * so a number never looks healthy beside a status that is not.
 */
export function statusTone(status: AgentStatus): 'ok' | 'warn' | 'bad' | 'idle' {
  switch (status) {
    case 'online':
      return 'ok';
    case 'warning':
      return 'warn';
    case 'error':
    case 'offline':
      return 'bad';
    default:
      return 'idle';
  }
}

/** An agent's health score as a number and a short bar, coloured by its status. */
export function ScoreBar({ score, status }: { score: number; status: AgentStatus }) {
  const tone = statusTone(status);
  return (
    <span class="score" title={`health score ${score.toFixed(3)}`} data-tone={tone}>
      <span class="track">
        <span class={`fill fill-${tone}`} style={{ width: `${Math.round(score * 100)}%`, display: 'block' }} />
      </span>
      <span class={`text-${tone}`}>{formatScore(score)}</span>
    </span>
  );
}
