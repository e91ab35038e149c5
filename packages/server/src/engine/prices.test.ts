import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertRecord } from '../storage/ports.js';
import { ConfigError, loadConfig } from '../config.js';
import { PriceBook, defaultPrices, priceLayer } from './prices.js';
import { budgetAlertChanges, budgetStandings, periodStartMs } from './budgets.js';
import { rememberModels, usageSeries } from './usage.js';

const book = new PriceBook([defaultPrices()]);
const priceOf = (model: string) => book.find(model)?.model ?? null;

it('a reported model takes its own price, else its family at a separator, after a provider path or cloud prefix', () => {
  assert.equal(priceOf('gpt-4o'), 'gpt-4o');
  assert.equal(priceOf('GPT-4o'), 'gpt-4o', 'names are matched without case');
  assert.equal(priceOf('gpt-4o-2024-08-06'), 'gpt-4o');
  assert.equal(priceOf('gpt-4o-mini-2024-07-18'), 'gpt-4o-mini', 'the longest family wins');
  assert.equal(priceOf('gpt-4.1-mini'), 'gpt-4.1-mini');
  assert.equal(priceOf('gpt-4.5'), null, 'gpt-4 is not the family of gpt-4.5: a dot does not end a name');
  assert.equal(priceOf('openai/gpt-4o'), 'gpt-4o');
  assert.equal(priceOf('claude-3-5-sonnet@20240620'), 'claude-3-5-sonnet');
  assert.equal(priceOf('us.anthropic.claude-3-5-sonnet-20240620-v1:0'), 'claude-3-5-sonnet');
  assert.equal(priceOf('models/gemini-1.5-pro-002'), 'gemini-1.5-pro');
  assert.equal(priceOf('o3-mini-2025-01-31'), 'o3-mini');
  assert.equal(priceOf('my-llama'), null);
  assert.equal(priceOf('gpt-4ox'), null, 'a longer word is not a variant');
});

it('later layers win per model; cost is tokens at the price, an agent-given cost wins, no price gives null', () => {
  const layered = new PriceBook([defaultPrices(), priceLayer([{ model: 'GPT-4o', input_usd_per_million: 1, output_usd_per_million: 1 }], 'api', '2026-01-02')]);
  assert.deepEqual(layered.find('gpt-4o-2024-08-06'), { model: 'GPT-4o', input_usd_per_million: 1, output_usd_per_million: 1, as_of: '2026-01-02', source: 'api' });
  assert.equal(book.cost({ model: 'gpt-4o', input_tokens: 1_000_000, output_tokens: 100_000 }), 3.5);
  assert.equal(book.cost({ model: 'gpt-4o', input_tokens: 1_000_000, cost_usd: 0.01 }), 0.01);
  assert.equal(book.cost({ model: 'my-llama', input_tokens: 5 }), null);
  assert.ok(defaultPrices().every((p) => p.as_of === '2025-08-15' && p.source === 'default'));
});

it("a payload's usage becomes per-model and per-agent series; calls only where given", () => {
  assert.equal(usageSeries(undefined, book), null);
  assert.equal(usageSeries([], book), null);
  assert.deepEqual(
    usageSeries(
      [
        { model: 'gpt-4o', input_tokens: 1_000_000, output_tokens: 0, calls: 2 },
        { model: 'my llama', input_tokens: 10 },
      ],
      book,
    ),
    {
      'gen_ai.model.gpt-4o.input_tokens': 1_000_000,
      'gen_ai.model.gpt-4o.output_tokens': 0,
      'gen_ai.model.gpt-4o.calls': 2,
      'gen_ai.model.gpt-4o.cost_usd': 2.5,
      'gen_ai.model.my_llama.input_tokens': 10,
      'gen_ai.model.my_llama.output_tokens': 0,
      'gen_ai.model.my_llama.cost_usd': 0,
      'gen_ai.input_tokens': 1_000_010,
      'gen_ai.output_tokens': 0,
      'gen_ai.calls': 2,
      'gen_ai.cost_usd': 2.5,
    },
  );
});

it('an agent remembers its models most recent first, bounded, and shares an unchanged list', () => {
  const one = rememberModels([], [{ model: 'a' }, { model: 'b' }]);
  assert.deepEqual(one, ['a', 'b']);
  assert.equal(rememberModels(one, [{ model: 'a' }]), one);
  assert.deepEqual(rememberModels(one, [{ model: 'b' }]), ['b', 'a']);
  let many: readonly string[] = [];
  for (let i = 0; i < 60; i++) many = rememberModels(many, [{ model: `m${i}` }]);
  assert.equal(many.length, 50);
  assert.equal(many[0], 'm59');
});

it('budgets: periods start at UTC midnight and the 1st; a warning escalates to critical once, then resolves', () => {
  const now = Date.parse('2026-03-17T15:00:00Z');
  assert.equal(new Date(periodStartMs('day', now)).toISOString(), '2026-03-17T00:00:00.000Z');
  assert.equal(new Date(periodStartMs('month', now)).toISOString(), '2026-03-01T00:00:00.000Z');
  const budget = { id: 'b1', name: 'prod', period: 'day' as const, limit_usd: 10, warning_ratio: 0.8, agent_id: null, environment: 'prod', created_at: '2026-03-01T00:00:00.000Z' };
  const env = (id: string) => (id === 'x' || id === 'y' ? 'prod' : 'dev');
  const standing = (x: number, y: number, z: number) => budgetStandings([budget], new Map([['day', new Map([['x', x], ['y', y], ['z', z]])]]), env, now);
  assert.equal(standing(3, 4, 100)[0]?.status.state, 'ok', 'another environment does not count');
  const warn = standing(3, 5, 0);
  assert.deepEqual([warn[0]?.status.state, warn[0]?.owner], ['warning', 'y']);
  const fired = budgetAlertChanges(warn, [], (id) => `agent ${id}`, now);
  assert.deepEqual(fired.transitions.map((t) => [t.kind, t.alert.severity, t.alert.agent_id, t.alert.title]), [['fired', 'warning', 'y', 'Spend budget prod at 80 %']]);
  assert.match(fired.insert[0]?.message ?? '', /environment prod spent \$8\.00 of \$10\.00 today .*most spent by agent y/);
  const alert = fired.insert[0] as AlertRecord;
  // x now spends most, but the alert stays with y; past the limit it escalates.
  const over = budgetAlertChanges(standing(9, 5, 0), [alert], (id) => id, now);
  assert.deepEqual(over.transitions.map((t) => [t.kind, t.alert.severity, t.alert.agent_id]), [['escalated', 'critical', 'y']]);
  assert.equal(over.insert.length, 0);
  const escalated = over.update[0] as AlertRecord;
  assert.equal(budgetAlertChanges(standing(9, 5, 0), [escalated], (id) => id, now).update.length, 0, 'nothing changed, nothing written');
  const done = budgetAlertChanges(standing(0, 0, 0), [escalated], (id) => id, now);
  assert.deepEqual(done.transitions.map((t) => t.kind), ['resolved']);
  // A budget that is gone resolves its alert.
  assert.deepEqual(budgetAlertChanges([], [escalated], (id) => id, now).transitions.map((t) => t.kind), ['resolved']);
});

it('the prices file: a list checked entry by entry, errors naming the file, the entry and the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentmon-prices-'));
  const file = join(dir, 'prices.json');
  writeFileSync(file, JSON.stringify([{ model: 'my-llama', input_usd_per_million: 0.5, output_usd_per_million: 1, as_of: '2026-02-01' }]));
  assert.deepEqual(loadConfig({ AGENTMON_PRICES_FILE: file }).prices, [{ model: 'my-llama', input_usd_per_million: 0.5, output_usd_per_million: 1, as_of: '2026-02-01' }]);
  writeFileSync(file, JSON.stringify([{ model: 'ok', input_usd_per_million: 1, output_usd_per_million: 1 }, { model: 'bad', input_usd_per_million: -1, output_usd_per_million: 1 }]));
  assert.throws(() => loadConfig({ AGENTMON_PRICES_FILE: file }), (err: Error) => err instanceof ConfigError && err.message.includes('[1].input_usd_per_million') && err.message.includes(file));
  writeFileSync(file, '{"model": "x"}');
  assert.throws(() => loadConfig({ AGENTMON_PRICES_FILE: file }), /must hold a JSON list/);
  assert.throws(() => loadConfig({ AGENTMON_PRICES_FILE: join(dir, 'missing.json') }), /ENOENT/);
});
