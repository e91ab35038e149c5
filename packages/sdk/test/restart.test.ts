import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AgentMonitor, AgentmonClient, DROPPED_PAYLOADS_METRIC } from '../src/node/index.js';
import { ADMIN, REGISTRATION, sleep, startTestServer, waitFor, type TestServer } from './server.js';

type Row = Record<string, unknown> & { timestamp: string };

async function points(admin: AgentmonClient, agentId: string, metricNames: string[]): Promise<Row[]> {
  const res = await admin.queryMetrics({
    agent_ids: [agentId],
    start_time: new Date(Date.now() - 3600_000).toISOString(),
    end_time: new Date(Date.now() + 60_000).toISOString(),
    metric_names: metricNames,
  });
  return res.data as Row[];
}

describe('a server restart in the middle of a run (same port, same data dir)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t?.dispose();
  });

  it('loses nothing within the buffer bound; beyond it drops the oldest and reports how many', async () => {
    const common = {
      url: t.url,
      token: REGISTRATION,
      collector: null,
      metricsIntervalMs: 100,
      healthCheckIntervalMs: 100,
      retry: { initialDelayMs: 50, maxDelayMs: 200 },
      maxBatchSize: 7, // several batches to drain, so batching and ordering are exercised
    } as const;
    const roomy = new AgentMonitor({
      ...common,
      agent: { name: 'roomy', type: 'workflow_agent', version: '1', environment: 'test', host: 'h' },
      maxBufferedPayloads: 500,
    });
    const tight = new AgentMonitor({
      ...common,
      agent: { name: 'tight', type: 'api_agent', version: '1', environment: 'test', host: 'h' },
      maxBufferedPayloads: 4,
    });
    await Promise.all([roomy.start(), tight.start()]);
    // Work keeps happening through the outage: one task per 20 ms each.
    let tasks = 0;
    const work = setInterval(() => {
      roomy.recordTask(1, true);
      tight.recordTask(1, true);
      tasks += 1;
    }, 20);
    try {
      await sleep(300);
      await t.stop();
      await sleep(1200);
      assert.ok(roomy.stats().buffered >= 8, `payloads wait: ${roomy.stats().buffered}`);
      assert.ok(tight.stats().dropped > 0, 'the tight buffer overflowed');
      assert.ok(tight.stats().buffered <= 4, 'and never held more than its bound');
      await t.restart();
      await waitFor(() => roomy.stats().buffered === 0 && tight.stats().buffered === 0 && tight.stats().droppedUnreported === 0, 'both drained', 10_000);
    } finally {
      clearInterval(work);
    }
    await Promise.all([roomy.stop(), tight.stop()]);

    const admin = new AgentmonClient({ url: t.url, token: ADMIN });
    const roomyStats = roomy.stats();
    const roomyRows = await points(admin, roomy.id as string, ['tasks_completed']);
    assert.equal(roomyStats.dropped, 0);
    // A batch whose answer was cut by the shutdown may be sent twice; count distinct payloads.
    assert.equal(new Set(roomyRows.map((r) => r.timestamp)).size, roomyStats.produced, 'every payload arrived');
    const byTs = new Map(roomyRows.map((r) => [r.timestamp, r.tasks_completed as number]));
    assert.equal([...byTs.values()].reduce((a, b) => a + b, 0), tasks, 'every task recorded is counted once');

    const tightStats = tight.stats();
    const tightRows = await points(admin, tight.id as string, ['tasks_completed', `custom.${DROPPED_PAYLOADS_METRIC}`]);
    const distinct = new Map(tightRows.map((r) => [r.timestamp, r]));
    assert.equal(distinct.size, tightStats.produced - tightStats.dropped, 'all but the dropped ones arrived');
    const reported = [...distinct.values()].reduce((n, r) => n + ((r[`custom.${DROPPED_PAYLOADS_METRIC}`] as number | null) ?? 0), 0);
    assert.equal(reported, tightStats.dropped, 'the dropped count reached the server');
    // Dropping is oldest-first: what survived of the outage is its end.
    const times = [...distinct.keys()].sort();
    const gaps = times.slice(1).map((x, i) => Date.parse(x) - Date.parse(times[i] as string));
    assert.ok(Math.max(...gaps) >= 700, 'the dropped payloads leave one hole');
  });
});
