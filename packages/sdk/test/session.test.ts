import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentMonitor, AgentmonClient, isAgentmonError } from '../src/node/index.js';
import { ADMIN, REGISTRATION, startTestServer, waitFor, type TestServer } from './server.js';

const agent = { name: 'keeper', type: 'workflow_agent', version: '1', environment: 'test', host: 'keeper-host' } as const;

describe("the agent's key between runs (a real server, offline after one 5 s interval)", () => {
  let t: TestServer;
  let dir: string;
  before(async () => {
    t = await startTestServer({ offlineFactor: 1 });
    dir = mkdtempSync(join(tmpdir(), 'agentmon-key-'));
  });
  after(async () => {
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const common = () => ({
    url: t.url,
    token: REGISTRATION,
    collector: null,
    metricsIntervalMs: 100,
    healthCheckIntervalMs: 100,
    retry: { initialDelayMs: 50, maxDelayMs: 200 },
  });

  it('a restart with its keyFile is back at once; a run without the key waits until the one reporting is gone', async () => {
    const keyFile = join(dir, 'state', 'keeper.key');
    const admin = new AgentmonClient({ url: t.url, token: ADMIN });

    const first = new AgentMonitor({ ...common(), agent, keyFile });
    await first.start();
    assert.equal(first.stats().registered, true);
    const id = first.id as string;
    await admin.putConfig(id, { metrics_interval_seconds: 1, health_check_interval_seconds: 5 });
    await waitFor(() => first.stats().sent >= 2, 'first run reports');
    const kept = JSON.parse(readFileSync(keyFile, 'utf8')) as { agent_id: string; api_key: string };
    assert.equal(kept.agent_id, id);
    assert.match(kept.api_key, /^amk\./);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'only its owner reads the key');
    await first.stop();

    // The process restarts while the agent still counts as reporting: its kept key lets it straight back in.
    const second = new AgentMonitor({ ...common(), agent, keyFile });
    await second.start();
    assert.equal(second.stats().registered, true, second.stats().lastError ?? '');
    assert.equal(second.id, id);
    const secondKey = (JSON.parse(readFileSync(keyFile, 'utf8')) as { api_key: string }).api_key;
    assert.notEqual(secondKey, kept.api_key, 'the file holds the new key');

    // Another run of the same identity without the key: refused while the second reports, and said so.
    const errors: unknown[] = [];
    const third = new AgentMonitor({ ...common(), agent, onError: (err) => errors.push(err) });
    await third.start();
    assert.equal(third.stats().registered, false);
    const refusal = errors[0];
    assert.ok(isAgentmonError(refusal) && refusal.code === 'AGENT_IN_USE', String(refusal));
    assert.ok(refusal.retryAfterMs !== null && refusal.retryAfterMs > 0 && refusal.retryAfterMs <= 5000, `retry after ${refusal.retryAfterMs}`);
    const sentBefore = second.stats().sent;
    await waitFor(() => second.stats().sent >= sentBefore + 3, 'the second run keeps reporting with its key');
    assert.equal(second.stats().registrations, 1, 'and never had to register again');

    // The second run ends; once it has been silent past the offline threshold the third registers by itself.
    await second.stop();
    await waitFor(() => third.stats().registered, 'the third run registers once the second is gone', 20_000);
    assert.equal(third.id, id);
    await waitFor(() => third.stats().sent >= 1, 'and reports');
    await third.stop();
  });

  it('a key file that cannot be read is reported, not thrown, and the agent registers as if it had none', async () => {
    const keyFile = join(dir, 'broken.key');
    writeFileSync(keyFile, 'not json');
    const errors: Error[] = [];
    const monitor = new AgentMonitor({
      ...common(),
      agent: { ...agent, name: 'broken-key' },
      keyFile,
      onError: (err) => errors.push(err),
    });
    await monitor.start();
    assert.equal(monitor.stats().registered, true);
    assert.match(errors[0]?.message ?? '', /broken\.key: not JSON; delete it to register afresh/);
    // Registering wrote a good key over it.
    assert.equal((JSON.parse(readFileSync(keyFile, 'utf8')) as { agent_id: string }).agent_id, monitor.id);
    await monitor.stop();
  });

  it('keyFile must be a path', () => {
    assert.throws(() => new AgentMonitor({ ...common(), agent, keyFile: '' }), /keyFile must be a file path/);
  });
});
