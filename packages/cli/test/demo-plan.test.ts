/** The demo's plan and simulation: pure functions, checked without a server. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_TYPES, DEPLOYMENT_TYPES, defaultMonitoringConfig } from '@agentmon/schema';
import { incidentAt, planFleet } from '../src/demo/fleet.js';
import { dailyLoad, seededRandom, simulateResources, simulateTasks } from '../src/demo/simulate.js';

const thresholds = defaultMonitoringConfig('x');

describe('the demo fleet plan', () => {
  it('covers every AgentType and DeploymentType, several environments, with unique identities', () => {
    for (const n of [6, 24, 60]) {
      const plans = planFleet(n);
      assert.deepEqual(new Set(plans.map((p) => p.type)), new Set(AGENT_TYPES), `types at ${n}`);
      assert.deepEqual(new Set(plans.map((p) => p.deploymentType)), new Set(DEPLOYMENT_TYPES), `deployments at ${n}`);
      assert.ok(new Set(plans.map((p) => p.environment)).size >= 3);
      const ids = plans.map((p) => `${p.name}/${p.environment}/${p.host}`);
      assert.equal(new Set(ids).size, n, 'name+environment+host is unique, so registration finds each agent again');
    }
    assert.deepEqual(planFleet(24), planFleet(24), 'deterministic');
  });

  it('gives the parts: one failing check, one silent agent, one in maintenance', () => {
    const plans = planFleet(24, { silentAfterMs: 1000 });
    assert.equal(plans.filter((p) => p.failingCheck).length, 1);
    assert.equal(plans.filter((p) => p.silentAfterMs === 1000).length, 1);
    assert.equal(plans.filter((p) => p.maintenance).length, 1);
    const one = planFleet(1);
    assert.ok(one[0]?.failingCheck && one[0].silentAfterMs !== null, 'a fleet of one plays every part');
  });

  it('schedules incidents that start, last and recover', () => {
    const [plan] = planFleet(1, { incidentPeriodMs: 60_000, incidentDurationMs: 10_000 });
    assert.ok(plan);
    assert.equal(incidentAt(plan, plan.firstIncidentMs - 1), null);
    assert.ok(incidentAt(plan, plan.firstIncidentMs));
    assert.equal(incidentAt(plan, plan.firstIncidentMs + 10_000), null, 'recovered');
    const second = incidentAt(plan, plan.firstIncidentMs + 60_000);
    assert.equal(second?.number, 1);
    assert.notEqual(second?.kind, incidentAt(plan, plan.firstIncidentMs)?.kind, 'kinds take turns');
  });
});

describe('the demo simulation', () => {
  it('follows a daily curve: quiet at night, busy in the afternoon', () => {
    const day = Date.UTC(2026, 0, 5);
    const at = (hour: number) => dailyLoad(day + hour * 3_600_000, 0);
    assert.ok(at(4) < 0.15);
    assert.ok(at(16) > 0.9);
    assert.ok(at(16) > at(10) && at(10) > at(6));
    assert.ok(dailyLoad(day + 16 * 3_600_000, 8) < at(16), 'regions peak at their own afternoon');
  });

  it('stays under the default thresholds on a normal day and breaches them in an incident', () => {
    const plans = planFleet(24);
    const rng = seededRandom(7);
    for (const plan of plans) {
      const calm = simulateResources(plan, 1, null, rng, 5000, 1e9);
      assert.ok((calm.cpu_usage_percent ?? 0) < thresholds.cpu_threshold, `${plan.name} calm cpu ${calm.cpu_usage_percent}`);
      assert.ok((calm.memory_usage_percent ?? 0) < thresholds.memory_threshold, `${plan.name} calm memory`);
      assert.ok((simulateResources(plan, 0.5, 'cpu', rng, 5000, 1e9).cpu_usage_percent ?? 0) > thresholds.cpu_threshold);
      assert.ok((simulateResources(plan, 0.5, 'memory', rng, 5000, 1e9).memory_usage_percent ?? 0) > thresholds.memory_threshold);
    }
    const api = plans.find((p) => p.type === 'api_agent');
    assert.ok(api);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const calmTasks = simulateTasks(api, 1, null, rng, 60);
    assert.ok(calmTasks.length > 100);
    assert.ok(mean(calmTasks.map((t) => t.durationMs)) < thresholds.response_time_threshold_ms);
    assert.ok(calmTasks.filter((t) => !t.ok).length / calmTasks.length < thresholds.error_rate_threshold);
    const slow = simulateTasks(api, 1, 'latency', rng, 60);
    assert.ok(mean(slow.map((t) => t.durationMs)) > thresholds.response_time_threshold_ms);
    const failing = simulateTasks(api, 1, 'error_rate', rng, 60);
    assert.ok(failing.filter((t) => !t.ok).length / failing.length > thresholds.error_rate_threshold * 2);
    const llm = plans.find((p) => p.type === 'llm_agent');
    assert.ok(llm && simulateTasks(llm, 1, null, rng, 30).every((t) => t.tokens > 0), 'LLM agents carry token traffic');
  });
});
