/**
 * Picks one agent for a filter from a list, by name: typing searches the fleet by name (server-side,
 * a few at a time, so it stays quick at thousands of agents); Enter takes what was typed as an id,
 * an id prefix or an exact name (GET /agents/resolve) and says so when several agents match.
 */
import { useEffect, useState } from 'preact/hooks';
import type { AgentSummary } from '@agentmon/schema';
import { ApiError } from '../api.js';
import { useApp } from '../context.js';
import { useDebounced } from '../hooks.js';
import { StatusBadge } from './badges.js';

/** How many matches the list shows. */
const SHOWN = 8;

/** The picker; `value` is the chosen agent's id ('' for none). */
export function AgentPicker({ value, onChange }: { value: string; onChange: (id: string | undefined) => void }) {
  const { client, agentName } = useApp();
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const [matches, setMatches] = useState<AgentSummary[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const typed = useDebounced(text.trim(), 200);

  useEffect(() => {
    if (!open || value) return;
    const ctl = new AbortController();
    client
      .listAgents({ ...(typed ? { q: typed } : {}), sort: 'name', page_size: SHOWN }, { signal: ctl.signal })
      .then((p) => setMatches(p.items))
      .catch(() => undefined);
    return () => ctl.abort();
  }, [typed, open, value, client]);

  const pick = (id: string) => {
    setText('');
    setOpen(false);
    setProblem(null);
    onChange(id);
  };
  const resolveTyped = async () => {
    const q = text.trim();
    if (!q) return;
    try {
      pick((await client.resolveAgent(q)).agent.id);
    } catch (err) {
      // Ambiguous: the server lists the candidates; say so and leave the list open to pick from.
      setProblem(err instanceof ApiError && err.status === 409 ? `Several agents match “${q}”: pick one below` : (err as Error).message);
      setOpen(true);
    }
  };

  if (value) {
    return (
      <span class="picked-agent" data-testid="agent-picked" data-agent-id={value}>
        <span>{agentName(value) ?? value.slice(0, 12)}</span>
        <button class="icon-btn small" aria-label="Any agent" title="Any agent" onClick={() => onChange(undefined)}>
          ×
        </button>
      </span>
    );
  }
  return (
    <span class="agent-picker" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <input
        aria-label="Agent"
        placeholder="Agent: name or id"
        value={text}
        role="combobox"
        aria-expanded={open}
        aria-autocomplete="list"
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onInput={(e) => {
          setText(e.currentTarget.value);
          setProblem(null);
          setOpen(true);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') void resolveTyped();
        }}
      />
      {open ? (
        <ul class="picker-list" role="listbox" data-testid="agent-options">
          {problem ? <li class="picker-problem" data-testid="agent-picker-problem">{problem}</li> : null}
          {matches.length === 0 ? <li class="muted">No agent by that name; Enter looks it up as an id or id prefix</li> : null}
          {matches.map((a) => (
            <li role="option" aria-selected="false">
              <button type="button" data-testid="agent-option" data-agent-id={a.id} onMouseDown={(e) => e.preventDefault()} onClick={() => pick(a.id)}>
                <b>{a.name}</b>
                <span class="muted">{a.environment}</span>
                <StatusBadge status={a.status} />
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </span>
  );
}
