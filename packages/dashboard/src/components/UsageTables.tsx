/**
 * Usage reports as tables: spend by model (tokens in and out, calls, cost, share of the spend) and
 * by agent (tokens, cost, tasks, cost per task), each with a total row. The Spend page shows both;
 * an agent's page shows its models.
 */
import type { UsageReport, UsageRow } from '@agentmon/schema';
import { formatNumber, formatRatio, formatTokens, formatTokensExact, formatUsd } from '../format.js';
import { href } from '../router.js';
import { shareOf } from '../spend.js';

/** A model's name, with "no price" when the price table has none for it. */
function ModelCell({ row }: { row: UsageRow }) {
  return (
    <td class="name-cell">
      <span class="mono">{row.model}</span>
      {row.priced ? null : ' '}
      {row.priced ? null : (
        <span class="tag tag-warn" data-testid="no-price" title="The price table has no price for this model: its cost counts as $0">
          no price
        </span>
      )}
    </td>
  );
}

/** A token count, with the exact number on hover. */
function Tokens({ v }: { v: number }) {
  return (
    <td class="num" title={formatTokensExact(v)}>
      {formatTokens(v)}
    </td>
  );
}

/** Model calls; "—" when none were reported (calls are optional in a payload's usage). */
function Calls({ v }: { v: number }) {
  return v > 0 ? <td class="num">{formatNumber(v)}</td> : <td class="num muted" title="No calls reported">—</td>;
}

/** Spend by model, largest first, with each model's share of the spend. */
export function ModelUsageTable({ report, testId = 'usage-by-model' }: { report: UsageReport; testId?: string }) {
  const total = report.totals.cost_usd;
  return (
    <div class="table-wrap">
      <table data-testid={testId}>
        <thead>
          <tr>
            <th>Model</th>
            <th class="num">Tokens in</th>
            <th class="num">Tokens out</th>
            <th class="num">Calls</th>
            <th class="num">Cost</th>
            <th class="num">Share of spend</th>
          </tr>
        </thead>
        <tbody>
          {report.rows.map((r) => {
            const share = shareOf(r.cost_usd, total);
            return (
              <tr data-testid="model-row" data-model={r.model ?? ''} data-priced={String(r.priced)}>
                <ModelCell row={r} />
                <Tokens v={r.input_tokens} />
                <Tokens v={r.output_tokens} />
                <Calls v={r.calls} />
                <td class="num" data-testid="cost">
                  {formatUsd(r.cost_usd)}
                </td>
                <td class="num" data-testid="share">
                  <span class="share">
                    <span class="track">
                      <span class="fill" style={{ width: `${Math.round((share ?? 0) * 100)}%` }} />
                    </span>
                    <span>{formatRatio(share)}</span>
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
        {report.rows.length > 1 ? (
          <tfoot>
            <tr data-testid="model-total">
              <td>Total</td>
              <Tokens v={report.totals.input_tokens} />
              <Tokens v={report.totals.output_tokens} />
              <Calls v={report.totals.calls} />
              <td class="num">{formatUsd(total)}</td>
              <td class="num">{total > 0 ? '100%' : '—'}</td>
            </tr>
          </tfoot>
        ) : null}
      </table>
    </div>
  );
}

/** Spend by agent, largest first: each agent's tokens, cost, tasks completed and cost per task. */
export function AgentUsageTable({ report }: { report: UsageReport }) {
  return (
    <div class="table-wrap">
      <table data-testid="usage-by-agent">
        <thead>
          <tr>
            <th>Agent</th>
            <th class="num">Tokens in</th>
            <th class="num">Tokens out</th>
            <th class="num">Cost</th>
            <th class="num">Tasks</th>
            <th class="num">Cost per task</th>
          </tr>
        </thead>
        <tbody>
          {report.rows.map((r) => (
            <tr data-testid="agent-usage-row" data-agent-id={r.agent_id ?? ''} data-priced={String(r.priced)}>
              <td class="name-cell">
                {r.agent_id ? <a href={href(`/agents/${encodeURIComponent(r.agent_id)}`)}>{r.agent_name ?? r.agent_id}</a> : '—'}
                {r.priced ? null : ' '}
                {r.priced ? null : (
                  <span class="tag tag-warn" title="Some of this agent's models have no price: their cost counts as $0">
                    unpriced models
                  </span>
                )}
              </td>
              <Tokens v={r.input_tokens} />
              <Tokens v={r.output_tokens} />
              <td class="num" data-testid="cost">
                {formatUsd(r.cost_usd)}
              </td>
              <td class="num" data-testid="tasks">
                {formatNumber(r.tasks_completed)}
              </td>
              <td class="num" data-testid="cost-per-task" title={r.cost_per_task_usd === null ? 'No task completed in this range' : undefined}>
                {formatUsd(r.cost_per_task_usd)}
              </td>
            </tr>
          ))}
        </tbody>
        {report.rows.length > 1 ? (
          <tfoot>
            <tr data-testid="agent-total">
              <td>Total</td>
              <Tokens v={report.totals.input_tokens} />
              <Tokens v={report.totals.output_tokens} />
              <td class="num">{formatUsd(report.totals.cost_usd)}</td>
              <td class="num">{formatNumber(report.totals.tasks_completed)}</td>
              <td class="num">{formatUsd(report.totals.cost_per_task_usd)}</td>
            </tr>
          </tfoot>
        ) : null}
      </table>
    </div>
  );
}
