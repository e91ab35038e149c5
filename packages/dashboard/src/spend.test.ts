import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SPEND_RANGES,
  budgetFill,
  budgetPeriod,
  budgetScope,
  budgetTone,
  formatUtcDate,
  parseUsd,
  shareOf,
  spendBucketSeconds,
  spendRange,
  utcDayStart,
  utcMonthStart,
} from './spend.js';

describe('spend', () => {
  it('counts today and this month in UTC, as budgets do', () => {
    const now = Date.parse('2026-03-14T23:30:00.000Z');
    assert.equal(new Date(utcDayStart(now)).toISOString(), '2026-03-14T00:00:00.000Z');
    assert.equal(new Date(utcMonthStart(now)).toISOString(), '2026-03-01T00:00:00.000Z');
    const newYear = Date.parse('2027-01-01T00:00:00.000Z');
    assert.equal(utcDayStart(newYear), newYear, 'midnight starts its own day');
    assert.equal(utcMonthStart(newYear), newYear);
    assert.equal(new Date(utcMonthStart(Date.parse('2026-12-31T23:59:59.999Z'))).toISOString(), '2026-12-01T00:00:00.000Z');
    assert.match(formatUtcDate(Date.parse('2026-03-01T00:00:00.000Z')), /Mar\s+1|1\s+Mar/);
  });

  it('charts spend per hour up to 2 days, per day beyond', () => {
    assert.equal(spendBucketSeconds(SPEND_RANGES['1h']), 3600);
    assert.equal(spendBucketSeconds(SPEND_RANGES['24h']), 3600);
    assert.equal(spendBucketSeconds(2 * 86_400), 3600);
    assert.equal(spendBucketSeconds(2 * 86_400 + 1), 86_400);
    assert.equal(spendBucketSeconds(SPEND_RANGES['7d']), 86_400);
    assert.equal(spendBucketSeconds(SPEND_RANGES['30d']), 86_400);
  });

  it('reads the range from the URL, else the default', () => {
    assert.equal(spendRange('30d', '24h'), '30d');
    assert.equal(spendRange('7d', '24h'), '7d');
    assert.equal(spendRange('2y', '24h'), '24h');
    assert.equal(spendRange('toString', '24h'), '24h', 'only its own keys');
    assert.equal(spendRange(null, '6h'), '6h');
  });

  it("works out each row's share of the spend", () => {
    assert.equal(shareOf(3.5, 4.1), 3.5 / 4.1);
    assert.equal(shareOf(0, 4.1), 0);
    assert.equal(shareOf(0, 0), null, 'no spend, no share');
    assert.equal(shareOf(5, 4), 1);
  });

  it('colours a budget as the dashboard colours status, and fills its bar up to the limit', () => {
    assert.equal(budgetTone('ok'), 'ok');
    assert.equal(budgetTone('warning'), 'warn');
    assert.equal(budgetTone('exceeded'), 'bad');
    assert.equal(budgetFill(0.82), 82);
    assert.equal(budgetFill(5.1 / 6), 85, 'no float dust in the width');
    assert.equal(budgetFill(1.1667), 100, 'an exceeded budget is a full bar');
    assert.equal(budgetFill(0), 0);
    assert.equal(budgetFill(Number.NaN), 0);
  });

  it('says what a budget covers and over which period', () => {
    assert.equal(budgetScope({ agent_id: null, environment: null }), 'whole fleet');
    assert.equal(budgetScope({ agent_id: 'a1', environment: null }, 'writer'), 'agent writer');
    assert.equal(budgetScope({ agent_id: 'a1', environment: null }), 'agent a1', 'the id until the name is known');
    assert.equal(budgetScope({ agent_id: null, environment: 'staging' }), 'environment staging');
    assert.equal(budgetPeriod('day'), 'per day (UTC)');
    assert.equal(budgetPeriod('month'), 'per month (UTC)');
  });

  it('reads dollar amounts typed in a form', () => {
    assert.equal(parseUsd('2.5'), 2.5);
    assert.equal(parseUsd(' $2.50 '), 2.5);
    assert.equal(parseUsd('1,000'), 1000);
    assert.equal(parseUsd('.5'), 0.5);
    assert.equal(parseUsd('3.'), 3);
    assert.equal(parseUsd('0'), 0);
    for (const bad of ['', ' ', 'abc', '-1', '1e3', '1.2.3', '$', 'NaN', 'Infinity']) assert.equal(parseUsd(bad), null, bad);
  });
});
