import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertDetail } from '@agentmon/schema';
import { bandsFor, incidentBands } from './incidents.js';

const alert = (metric: string, created: string, resolved: string | null, severity: AlertDetail['severity'] = 'critical'): AlertDetail =>
  ({ metric_name: metric, created_at: created, resolved_at: resolved, severity, title: `${metric} alert` }) as AlertDetail;

const s = (iso: string) => Date.parse(iso) / 1000;

it('an alert is a band from when it fired to when it resolved, or now; alerts outside the range and budget alerts are left out', () => {
  const alerts = [
    alert('cpu_usage_percent', '2026-03-01T10:00:00Z', '2026-03-01T10:01:00Z'),
    alert('health_check:db', '2026-03-01T11:00:00Z', null, 'warning'),
    alert('error_rate', '2026-03-01T01:00:00Z', '2026-03-01T02:00:00Z'),
    alert('budget:b1', '2026-03-01T10:30:00Z', null),
  ];
  const bands = incidentBands(alerts, s('2026-03-01T06:00:00Z'), s('2026-03-01T12:00:00Z'), s('2026-03-01T12:00:00Z'));
  assert.deepEqual(bands.map((b) => [b.metric, b.to - b.from, b.severity]), [
    ['cpu_usage_percent', 60, 'critical'],
    ['health_check:db', 3600, 'warning'],
  ]);
  assert.deepEqual(bandsFor('chart-resources', bands).map((b) => b.label), ['cpu_usage_percent alert']);
  assert.deepEqual(bandsFor('chart-error-rate', bands), []);
  assert.equal(bandsFor('chart-health', bands).length, 2, 'the health score shows every alert of the agent');
  const custom = incidentBands([alert('custom.queue_depth', '2026-03-01T10:00:00Z', null)], 0, s('2026-03-02T00:00:00Z'), s('2026-03-01T11:00:00Z'));
  assert.equal(bandsFor('chart-custom-queue_depth', custom).length, 1);
});
