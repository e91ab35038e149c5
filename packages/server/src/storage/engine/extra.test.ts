// Templates of `extra`: filling a template gives back exactly the JSON text it was made from, and
// numbers that are their series' values leave the template (so a block stores each shape once).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extraTemplate, fillTemplate } from './extra.js';

/** The numeric custom values of a custom_metrics object, flattened as the engine's ingest does. */
function flatten(custom: Record<string, unknown>, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  for (const [key, value] of Object.entries(custom)) {
    const name = prefix + key;
    if (typeof value === 'number' && Number.isFinite(value)) out[name] = value;
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) flatten(value as Record<string, unknown>, `${name}.`, out);
  }
  return out;
}

interface Extra {
  custom_metrics: Record<string, unknown>;
  health_checks: Record<string, boolean>;
  alerts: string[];
}

function roundTrip(extra: Extra): string {
  const json = JSON.stringify(extra);
  const values = flatten(extra.custom_metrics);
  const template = extraTemplate(json, (key) => values[key]);
  assert.equal(fillTemplate(template, (key) => values[key]), json, `template ${template}`);
  return template;
}

describe('extra templates', () => {
  it('take the series numbers out and put them back', () => {
    const template = roundTrip({ custom_metrics: { queue_depth: 23, cache_hit_ratio: 0.734, model: 'gpt-4o-mini' }, health_checks: { db: true }, alerts: [] });
    assert.equal(template, '{"custom_metrics":{"queue_depth":#"queue_depth","cache_hit_ratio":#"cache_hit_ratio","model":"gpt-4o-mini"},"health_checks":{"db":true},"alerts":[]}');
    // The same shape with other numbers is the same template.
    const other = roundTrip({ custom_metrics: { queue_depth: 7, cache_hit_ratio: 1e-7, model: 'gpt-4o-mini' }, health_checks: { db: true }, alerts: [] });
    assert.equal(other, template);
  });

  it('handles nesting, arrays, dotted keys that shadow nested ones, escapes, odd numbers and a # in strings', () => {
    const cases: Extra[] = [
      { custom_metrics: { llm: { calls: 3, cost: { usd: 0.25 } }, list: [1, 2, { x: 3 }], 'a.b': 1, a: { b: 2 } }, health_checks: {}, alerts: ['#1 "quoted" \\ back'] },
      { custom_metrics: { '#': 5, 'k"ey': -0, 'ü ñ 世界': 1e21, big: -1.7976931348623157e308, tiny: 5e-324, neg: -12.5 }, health_checks: { 'a#b': false }, alerts: [] },
      { custom_metrics: { 'x.y': { z: 1 }, x: { 'y.z': 2 } }, health_checks: {}, alerts: ['#"x"'] },
      { custom_metrics: {}, health_checks: {}, alerts: [] },
      { custom_metrics: { '0': 1, '10': 2, '2': 3, s: 'a"b#c' }, health_checks: { '1': true }, alerts: ['', '##'] },
    ];
    for (const extra of cases) roundTrip(extra);
  });

  it('keeps a number literal when its series says otherwise', () => {
    const json = JSON.stringify({ custom_metrics: { q: 4 }, health_checks: {}, alerts: [] });
    assert.equal(extraTemplate(json, () => 5), json);
    assert.equal(extraTemplate(json, () => undefined), json);
  });

  it('refuses to fill a marker whose series value is missing', () => {
    assert.throws(() => fillTemplate('{"custom_metrics":{"q":#"q"}}', () => undefined), /custom\.q/);
  });
});
