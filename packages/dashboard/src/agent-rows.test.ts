import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_STATUSES, AGENT_STATUS_ORDER, type AgentStatus, type AgentSummary } from '@agentmon/schema';
import { STATUS_ORDER, liveRows, liveSortKey, statusRank, type LivePatch } from './agent-rows.js';

const row = (name: string, status: AgentStatus, health_score: number, last_seen = '2026-01-01T00:00:00.000Z'): AgentSummary => ({
  id: `id-${name}`,
  name,
  type: 'llm_agent',
  status,
  last_seen,
  environment: 'prod',
  health_score,
});
const names = (rows: AgentSummary[]) => rows.map((r) => r.name);
const patch = (entries: [string, LivePatch][]) => new Map(entries.map(([name, p]) => [`id-${name}`, p]));

describe('STATUS_ORDER', () => {
  it('is the schema order of sort=status, and has every status once', () => {
    assert.deepEqual(STATUS_ORDER, AGENT_STATUS_ORDER);
    assert.deepEqual([...STATUS_ORDER].sort(), [...AGENT_STATUSES].sort());
  });
});

describe('liveRows', () => {
  // A page as the server sorted it by health ascending.
  const page = [row('a', 'error', 0.2), row('b', 'warning', 0.5), row('c', 'online', 0.9), row('d', 'online', 0.95)];

  it('keeps the page as the server sent it when nothing changed', () => {
    assert.deepEqual(names(liveRows(page, new Map(), { sort: 'health_score', status: '' })), ['a', 'b', 'c', 'd']);
  });

  it('re-sorts by the patched score, both ways, ties in the server order', () => {
    const p = patch([['d', { status: 'error', health_score: 0.1 }], ['a', { status: 'online', health_score: 0.9 }]]);
    assert.deepEqual(names(liveRows(page, p, { sort: 'health_score', status: '' })), ['d', 'b', 'a', 'c']);
    assert.deepEqual(names(liveRows(page, p, { sort: '-health_score', status: '' })), ['a', 'c', 'b', 'd']);
  });

  it('drops rows that no longer match the status filter', () => {
    const errors = [row('a', 'error', 0.2), row('x', 'error', 0.25)];
    const p = patch([['x', { status: 'warning', health_score: 0.5 }]]);
    assert.deepEqual(names(liveRows(errors, p, { sort: 'health_score', status: 'error' })), ['a']);
  });

  it('sorts by status worst first: error, offline, warning, unknown, maintenance, online', () => {
    const all = (['online', 'maintenance', 'unknown', 'warning', 'offline', 'error'] as const).map((s, i) => row(`${i}`, s, 0.5));
    const p = patch([['0', { status: 'online', health_score: 1 }]]);
    assert.deepEqual(liveRows(all, p, { sort: 'status', status: '' }).map((r) => r.status), ['error', 'offline', 'warning', 'unknown', 'maintenance', 'online']);
    assert.ok(statusRank('error') < statusRank('offline') && statusRank('warning') < statusRank('online'));
  });

  it('knows which sorts the stream can disturb', () => {
    assert.deepEqual(['status', '-health_score', 'last_seen', 'name', '-type'].map(liveSortKey), [true, true, true, false, false]);
  });
});
