/** Agent counts as every metadata adapter builds them from one GROUP BY per dimension. */
import type { AgentCounts } from '../ports.js';

/** AgentCounts from `(dim, key, n)` rows of a GROUP BY per dimension. */
export function countsFromRows(rows: readonly { dim: string; key: string; n: number }[]): AgentCounts {
  const counts: AgentCounts = { total: 0, by_status: {}, by_type: {}, by_environment: {} };
  for (const { dim, key, n } of rows) {
    if (dim === 'status') {
      counts.by_status[key] = Number(n);
      counts.total += Number(n);
    } else if (dim === 'type') counts.by_type[key] = Number(n);
    else counts.by_environment[key] = Number(n);
  }
  return counts;
}
