/**
 * The latest GenAI spans an agent exported over OpenTelemetry whose status was ERROR: what failed,
 * when, how long it ran and what the span said, with its attributes one click away. agentmon keeps
 * no other spans; these come from the server's memory (none after a restart).
 */
import type { FailedSpan } from '@agentmon/schema';
import { formatMs, formatRelative } from '../format.js';

/** A failed span's attributes, as `key = value` lines. */
function attributeLines(attributes: Record<string, unknown>): string {
  return Object.entries(attributes)
    .map(([k, v]) => `${k} = ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
}

/** The table of an agent's failed spans, newest first. */
export function FailedSpansTable({ spans, now }: { spans: readonly FailedSpan[]; now: number }) {
  return (
    <div class="table-wrap">
      <table data-testid="failed-spans">
        <thead>
          <tr>
            <th>When</th>
            <th>Span</th>
            <th>Error</th>
            <th class="num">Duration</th>
            <th>Trace</th>
          </tr>
        </thead>
        <tbody>
          {spans.map((s) => (
            <tr data-testid="failed-span" data-operation={s.operation ?? ''}>
              <td title={s.end_time}>{formatRelative(s.end_time, now)}</td>
              <td>
                <div>{s.name}</div>
                {s.operation ? <div class="muted">{s.operation}</div> : null}
              </td>
              <td>
                <div data-testid="failed-span-message">{s.status_message || 'no message'}</div>
                <details>
                  <summary class="muted">{Object.keys(s.attributes).length} attributes</summary>
                  <pre class="attributes">{attributeLines(s.attributes)}</pre>
                </details>
              </td>
              <td class="num">{formatMs(s.duration_ms)}</td>
              <td class="mono" title={`trace ${s.trace_id}, span ${s.span_id}`}>
                {s.trace_id.slice(0, 8)}…
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
