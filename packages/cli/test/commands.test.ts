/**
 * The client commands (agents, alerts, events, token, demo) against a real server started in this
 * process: their output and exit codes. Most run through main() with captured output (fast); the
 * ones whose process behaviour matters (signals, exit codes of the real binary) are spawned.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_TYPES, DEPLOYMENT_TYPES } from '@agentmon/schema';
import { AgentmonClient } from '@agentmon/sdk';
import { DEFAULT_CONFIG, startServer, type RunningServer } from '@agentmon/server';
import { main } from '../src/main.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'src', 'bin.ts');
const nodeArgs = ['--conditions=source', '--import', 'tsx', bin];

/** The environment without agentmon settings from the machine running the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith('AGENTMON_') || k === 'HOST' || k === 'PORT') delete e[k];
  return { ...e, ...extra };
}

/** Runs the CLI in this process; returns its exit code and what it printed. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'agentmon', ...args], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** Runs the real binary (without blocking: the server under test lives in this process). */
function spawnCli(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: root, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

describe('agentmon client commands against a real server', () => {
  let dataDir: string;
  let server: RunningServer;
  let url: string;
  let admin: AgentmonClient;
  let bot: { id: string; key: string };
  let hot: { id: string; key: string };
  // The token is found in the data dir, as a person on the server's machine would have it.
  const conn = () => ['--url', url, '--data-dir', dataDir];

  before(async () => {
    // Commands read these from the environment; this process's must not leak in.
    for (const k of ['AGENTMON_URL', 'AGENTMON_TOKEN', 'AGENTMON_ADMIN_TOKEN', 'AGENTMON_DATA_DIR']) delete process.env[k];
    dataDir = mkdtempSync(join(tmpdir(), 'agentmon-cli-cmd-'));
    server = await startServer({ ...DEFAULT_CONFIG, port: 0, dataDir, logLevel: 'silent' });
    url = server.url;
    admin = new AgentmonClient({ url, token: server.adminToken });
    const reg = async (name: string, type: 'chatbot' | 'api_agent') => {
      const r = await admin.registerAgent({ name, type, version: '1.0.0', deployment_type: 'docker', host: 'h1', environment: 'production', tags: ['t1'] });
      return { id: r.agent_id, key: r.api_key };
    };
    bot = await reg('support-bot', 'chatbot');
    hot = await reg('hot-api', 'api_agent');
    const metrics = (agentId: string, cpu: number) => ({
      agent_id: agentId,
      resource_metrics: { cpu_usage_percent: cpu, memory_usage_bytes: 1e9, memory_usage_percent: 40, disk_usage_bytes: 1e10 },
      performance_metrics: { tasks_completed: 10, tasks_failed: 0, average_response_time_ms: 120 },
    });
    await admin.withToken(bot.key).sendMetrics(bot.id, metrics(bot.id, 30));
    await admin.withToken(bot.key).reportHealth(bot.id, [{ name: 'llm_api', status: true, execution_time_ms: 42.5 }]);
    await admin.withToken(hot.key).sendMetrics(hot.id, metrics(hot.id, 97));
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('agents list: a table for people, JSON for scripts, filters', async () => {
    const table = await run('agents', 'list', ...conn());
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /^ID\s+NAME\s+TYPE\s+STATUS\s+HEALTH\s+ENVIRONMENT\s+LAST SEEN$/m);
    assert.match(table.out, new RegExp(`^${bot.id}\\s+support-bot\\s+chatbot\\s+online\\s+\\d+%\\s+production\\s+\\d+s ago$`, 'm'));
    assert.match(table.out, /^2 agents$/m);
    const json = await run('agents', 'list', '--type', 'api_agent', '--json', ...conn());
    assert.equal(json.code, 0);
    const page = JSON.parse(json.out) as { total: number; items: { name: string }[] };
    assert.equal(page.total, 1);
    assert.equal(page.items[0]?.name, 'hot-api');
    const none = await run('agents', 'list', '--environment', 'nowhere', ...conn());
    assert.equal(none.out, 'no agents\n');
  });

  it('agents show: details, score parts, checks, alerts and config; 3 for an unknown agent', async () => {
    const shown = await run('agents', 'show', bot.id, ...conn());
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /^name\s+support-bot$/m);
    assert.match(shown.out, /^deployment\s+docker on h1$/m);
    assert.match(shown.out, /^llm_api\s+passing\s+42\.5 ms/m);
    assert.match(shown.out, /^SCORE PART\s+WEIGHT\s+VALUE\s+FROM$/m);
    assert.match(shown.out, /config: metrics every 60s, health checks every 30s; thresholds cpu 80%/);
    const hotShown = await run('agents', 'show', hot.id, ...conn());
    assert.match(hotShown.out, /CPU usage critical on hot-api/);
    const json = JSON.parse((await run('agents', 'show', bot.id, '--json', ...conn())).out) as { agent: { id: string }; health: { checks: unknown[] }; config: { cpu_threshold: number } };
    assert.equal(json.agent.id, bot.id);
    assert.equal(json.health.checks.length, 1);
    assert.equal(json.config.cpu_threshold, 80);
    const missing = await run('agents', 'show', 'no-such-agent', ...conn());
    assert.equal(missing.code, 3);
    assert.match(missing.err, /no agent has the id, id prefix or name "no-such-agent" \(404 AGENT_NOT_FOUND\)/);
  });

  it('alerts list, ack and resolve; 3 for an unknown alert', async () => {
    const listed = await run('alerts', 'list', ...conn());
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /^ID\s+SEVERITY\s+STATE\s+AGENT\s+METRIC\s+VALUE\s+THRESHOLD\s+CREATED\s+TITLE$/m);
    assert.match(listed.out, /critical\s+active\s+hot-api\s+cpu_usage_percent\s+97\s+80\s+\d+s ago\s+CPU usage critical on hot-api/);
    const page = JSON.parse((await run('alerts', 'list', '--json', '--agent', hot.id, ...conn())).out) as { items: { id: string }[] };
    const alertId = page.items[0]?.id as string;
    assert.ok(alertId);
    const acked = await run('alerts', 'ack', alertId, '--by', 'ops', '--comment', 'looking', ...conn());
    assert.equal(acked.code, 0, acked.err);
    assert.match(acked.out, /^acknowledged CPU usage critical on hot-api \(.+\) as ops$/m);
    assert.match((await run('alerts', 'list', ...conn())).out, /critical\s+acked\s+hot-api/);
    const resolved = await run('alerts', 'resolve', alertId, ...conn());
    assert.equal(resolved.code, 0, resolved.err);
    assert.match(resolved.out, /^resolved CPU usage critical on hot-api/);
    const again = await run('alerts', 'resolve', alertId, ...conn());
    assert.equal(again.code, 0);
    assert.match(again.out, /was already resolved/);
    assert.equal((await run('alerts', 'list', ...conn())).out, 'no active alerts\n');
    assert.match((await run('alerts', 'list', '--all', '--since', '1h', ...conn())).out, /resolved\s+hot-api/);
    assert.equal((await run('alerts', 'resolve', 'no-such-alert', ...conn())).code, 3);
    const badSince = await run('alerts', 'list', '--since', 'yesterday', ...conn());
    assert.equal(badSince.code, 2);
    assert.match(badSince.err, /--since must be/);
  });

  it('events tail --no-follow: the latest events oldest first, as lines or JSON lines', async () => {
    const tail = await run('events', 'tail', '--no-follow', '-n', '50', ...conn());
    assert.equal(tail.code, 0, tail.err);
    const lines = tail.out.trim().split('\n');
    assert.ok(lines.some((l) => /agent_registered\s+support-bot\s+agent support-bot registered/.test(l)), tail.out);
    assert.ok(lines.some((l) => /critical\s+metric_threshold_exceeded\s+hot-api/.test(l)), tail.out);
    const times = lines.map((l) => l.slice(0, 24));
    assert.deepEqual([...times].sort(), times, 'oldest first');
    const json = await run('events', 'tail', '--no-follow', '--type', 'agent_registered', '--json', ...conn());
    const events = json.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => e.type === 'agent_registered'));
  });

  it('events tail follows new events until SIGINT, then exits 0', async () => {
    const child = spawn(process.execPath, [...nodeArgs, 'events', 'tail', '-n', '1', '--interval', '200', ...conn()], {
      cwd: root,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (out === '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.notEqual(out, '', `the backlog is printed first: ${err}`);
      await admin.registerAgent({ name: 'late-arrival', type: 'custom', version: '1', deployment_type: 'local', host: 'h2', environment: 'dev' });
      while (!/late-arrival/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(out, /agent_registered\s+late-arrival\s+agent late-arrival registered/);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, err);
  });

  it('takes an agent by name or id prefix wherever it takes one; an ambiguous name exits 2 listing the candidates', async () => {
    const byName = await run('agents', 'show', 'support-bot', ...conn());
    assert.equal(byName.code, 0, byName.err);
    assert.match(byName.out, new RegExp(`^id\\s+${bot.id}$`, 'm'));
    const byPrefix = await run('agents', 'show', hot.id.slice(0, 8), ...conn());
    assert.equal(byPrefix.code, 0, byPrefix.err);
    assert.match(byPrefix.out, /^name\s+hot-api$/m);
    const alerts = await run('alerts', 'list', '--all', '--agent', 'hot-api', '--json', ...conn());
    assert.equal(alerts.code, 0, alerts.err);
    const page = JSON.parse(alerts.out) as { items: { agent_id: string }[] };
    assert.ok(page.items.length > 0 && page.items.every((a) => a.agent_id === hot.id));
    const events = await run('events', 'tail', '--no-follow', '--agent', 'support-bot', '--json', ...conn());
    assert.equal(events.code, 0, events.err);
    const lines = events.out.trim().split('\n').map((l) => JSON.parse(l) as { agent_id: string });
    assert.ok(lines.length > 0 && lines.every((e) => e.agent_id === bot.id));

    // One name in two environments: ambiguous until the environment says which.
    const twins = [];
    for (const environment of ['staging', 'dev']) {
      const r = await admin.registerAgent({ name: 'twin-cli', type: 'custom', version: '1', deployment_type: 'local', host: `h-${environment}`, environment });
      twins.push(r.agent_id);
    }
    try {
      const ambiguous = await run('agents', 'show', 'twin-cli', ...conn());
      assert.equal(ambiguous.code, 2);
      assert.match(ambiguous.err, /409 AGENT_AMBIGUOUS/);
      for (const id of twins) assert.ok(ambiguous.err.includes(id), `candidate ${id} listed:\n${ambiguous.err}`);
      const picked = await run('agents', 'show', 'twin-cli', '--environment', 'dev', ...conn());
      assert.equal(picked.code, 0, picked.err);
      assert.match(picked.out, new RegExp(`^id\\s+${twins[1]}$`, 'm'));
    } finally {
      for (const id of twins) await admin.deleteAgent(id, { purge: true });
    }
  });

  it('agents deregister: says what it did; the agent is gone afterwards', async () => {
    const reg = await admin.registerAgent({ name: 'short-lived', type: 'custom', version: '1', deployment_type: 'local', host: 'h3', environment: 'dev' });
    const done = await run('agents', 'deregister', reg.agent_id, '--purge', ...conn());
    assert.equal(done.code, 0, done.err);
    assert.equal(done.out, `deregistered short-lived (${reg.agent_id}); its metrics were deleted\n`);
    assert.equal((await run('agents', 'show', reg.agent_id, ...conn())).code, 3);
    assert.equal((await run('agents', 'deregister', reg.agent_id, ...conn())).code, 3);
  });

  it('demo: every AgentType and DeploymentType, short intervals, health checks and data, then stops cleanly', async () => {
    const demo = await run('demo', '--agents', '6', '--duration', '3', '--interval', '1', '--silent-after', '2', ...conn());
    assert.equal(demo.code, 0, demo.err);
    assert.match(demo.out, /^agentmon demo: 6 agents reporting to http:\/\/127\.0\.0\.1:\d+ every 1 s/m);
    assert.match(demo.out, /failing health check: etl-orchestrator \(warehouse\)/);
    assert.match(demo.out, /silent: log-sentinel stopped reporting/);
    assert.match(demo.out, /^agentmon demo: sent 24 h of history for 6 agent\(s\), one payload every 5 min \(1,728 payloads in/m);
    const page = await admin.listAgents({ tag: 'demo', page_size: 50 });
    assert.equal(page.total, 6);
    // The history: a payload every 5 minutes over the last day, so the charts have a past.
    const past = await admin.queryMetrics({
      agent_ids: page.items.map((a) => a.id),
      start_time: new Date(Date.now() - 24 * 3_600_000).toISOString(),
      end_time: new Date(Date.now() - 12 * 3_600_000).toISOString(),
      metric_names: ['cpu_usage_percent', 'tasks_completed'],
      aggregation: 'count',
      group_by: 'none',
    });
    const counted = Number(past.data[0]?.cpu_usage_percent);
    assert.ok(counted >= 6 * 143 && counted <= 6 * 145, `12 h of history: ${counted} payloads`);
    const details = await Promise.all(page.items.map((a) => admin.getAgent(a.id)));
    assert.deepEqual(new Set(details.map((d) => d.type)), new Set(AGENT_TYPES));
    assert.deepEqual(new Set(details.map((d) => d.deployment_type)), new Set(DEPLOYMENT_TYPES));
    assert.ok(new Set(details.map((d) => d.environment)).size >= 3);
    const llm = details.find((d) => d.type === 'llm_agent');
    assert.ok(llm);
    assert.equal((await admin.getConfig(llm.id)).metrics_interval_seconds, 1);
    const data = await admin.queryMetrics({
      agent_ids: page.items.map((a) => a.id),
      start_time: new Date(Date.now() - 600_000).toISOString(),
      end_time: new Date(Date.now() + 60_000).toISOString(),
      metric_names: ['cpu_usage_percent', 'tokens_processed', 'tasks_completed'],
      aggregation: 'sum',
    });
    assert.equal(data.agents.length, 6, 'every agent sent metrics');
    const llmRow = data.data.find((r) => r.agent_id === llm.id);
    assert.ok(((llmRow?.tokens_processed as number | undefined) ?? 0) > 0, 'token traffic');
    // Its tokens are by model, in and out, and priced: the day of history and the live minutes.
    const spend = (await admin.getUsage({ start_time: new Date(Date.now() - 25 * 3_600_000).toISOString(), agent: llm.id, group_by: 'model' })) as {
      rows: { model: string; input_tokens: number; output_tokens: number; cost_usd: number }[];
    };
    const row = spend.rows[0];
    assert.equal(spend.rows.length, 1, JSON.stringify(spend.rows));
    assert.ok(row && row.input_tokens > row.output_tokens && row.output_tokens > 0, JSON.stringify(row));
    assert.ok(row.cost_usd > 0, `the demo's models are priced: ${JSON.stringify(row)}`);
    const failing = details.find((d) => d.name === 'etl-orchestrator');
    assert.ok(failing);
    const health = await admin.getHealth(failing.id);
    assert.equal(health.checks.find((c) => c.name === 'warehouse')?.status, false);
    // Run again: the same agents are found, not added.
    const again = await run('demo', '--agents', '6', '--duration', '1', ...conn());
    assert.equal(again.code, 0, again.err);
    assert.doesNotMatch(again.out, /history/, 'agents that have a past get no second one');
    assert.equal((await admin.listAgents({ tag: 'demo' })).total, 6);
  });

  it("demo --serve refuses the running server's data dir and port, and says what to do", async () => {
    const port = new URL(url).port;
    const sameDir = await spawnCli(['demo', '--serve', '--data-dir', dataDir, '--port', String(await freePort()), '--duration', '1']);
    assert.notEqual(sameDir.status, 0);
    assert.match(sameDir.stderr, /in use by another agentmon process .*A demo started with --serve needs a data dir of its own: --data-dir \S+ --port \d+/s);
    const other = mkdtempSync(join(tmpdir(), 'agentmon-cli-demo-'));
    try {
      const samePort = await spawnCli(['demo', '--serve', '--data-dir', other, '--port', port, '--duration', '1']);
      assert.notEqual(samePort.status, 0);
      assert.match(samePort.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is taken.*without --serve.*another --port and --data-dir`, 's'));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    const help = await run('demo', '--help');
    assert.match(help.out, /--agents <n>\s+how many agents \(1 to 500/);
  });

  it('exit codes: 4 for a refused token, 1 for an unreachable server, 2 for bad usage or no token', async () => {
    const refused = await run('agents', 'list', '--url', url, '--token', 'not-the-token-at-all');
    assert.equal(refused.code, 4);
    assert.match(refused.err, /invalid token \(401 UNAUTHORIZED\)/);
    const port = await freePort();
    const down = await run('agents', 'list', '--url', `http://127.0.0.1:${port}`, '--data-dir', dataDir);
    assert.equal(down.code, 1);
    assert.match(down.err, /cannot reach agentmon: .*ECONNREFUSED/);
    assert.equal((await run('agents', 'list', '--page', '0', ...conn())).code, 2);
    assert.equal((await run('agents', 'list', '--status', 'sleepy', ...conn())).code, 2);
    assert.equal((await run('alerts', 'frobnicate', ...conn())).code, 2);
    const emptyDir = mkdtempSync(join(tmpdir(), 'agentmon-empty-'));
    try {
      const noToken = await run('agents', 'list', '--url', url, '--data-dir', emptyDir);
      assert.equal(noToken.code, 2);
      assert.match(noToken.err, /no token: pass --token, set AGENTMON_TOKEN/);
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
    assert.equal((await run('agents', 'list', '--url', 'ftp://x', ...conn().slice(2))).code, 2);
  });

  it('the real binary exits with the same codes (3 not found, 4 unauthorized)', async () => {
    const missing = await spawnCli(['agents', 'show', 'nope', ...conn()]);
    assert.equal(missing.status, 3, missing.stderr);
    assert.match(missing.stderr, /404 AGENT_NOT_FOUND/);
    const refused = await spawnCli(['alerts', 'list', '--url', url], { AGENTMON_TOKEN: 'wrong-wrong-wrong-wrong' });
    assert.equal(refused.status, 4, refused.stderr);
    const listed = await spawnCli(['agents', 'list', '--json'], { AGENTMON_URL: url, AGENTMON_DATA_DIR: dataDir });
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as { total: number }).total >= 2);
  });
});

describe('agentmon token', () => {
  it('shows the admin token of a data dir, rotates it, and says a running server must restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentmon-token-'));
    try {
      const none = await run('token', '--data-dir', dir);
      assert.equal(none.code, 3);
      assert.match(none.err, /no admin token in .*admin-token: start the server once/);
      const rotated = await spawnCli(['token', '--rotate', '--data-dir', dir]);
      assert.equal(rotated.status, 0, rotated.stderr);
      const token = rotated.stdout.trim();
      assert.match(token, /^ama\.[A-Za-z0-9_-]{43}$/);
      assert.match(rotated.stderr, /a running server keeps accepting the old one until it restarts/);
      assert.equal(readFileSync(join(dir, 'admin-token'), 'utf8').trim(), token);
      const shown = await run('token', '--data-dir', dir);
      assert.equal(shown.code, 0);
      assert.equal(shown.out, `${token}\n`);
      const json = JSON.parse((await run('token', '--data-dir', dir, '--json')).out) as { token: string; path: string; rotated: boolean };
      assert.deepEqual(json, { token, path: join(dir, 'admin-token'), rotated: false });
      const again = JSON.parse((await run('token', '--rotate', '--json', '--data-dir', dir)).out) as { token: string };
      assert.notEqual(again.token, token);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('agentmon demo --serve', () => {
  it('starts a server and the fleet together, prints where and the admin token, and stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentmon-demo-'));
    try {
      const r = await spawnCli(['demo', '--serve', '--port', '0', '--data-dir', dir, '--agents', '2', '--duration', '2']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^agentmon listening on http:\/\/127\.0\.0\.1:\d+ \(storage: sqlite/m);
      const token = /admin token: (\S+)/.exec(r.stdout)?.[1];
      assert.equal(token, readFileSync(join(dir, 'admin-token'), 'utf8').trim());
      assert.match(r.stdout, /agentmon demo: 2 agents reporting/);
      assert.match(r.stdout, /stopping the fleet/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('agentmon --help everywhere', () => {
  const commands = [
    [],
    ['serve'],
    ['demo'],
    ['agents'],
    ['agents', 'list'],
    ['agents', 'show'],
    ['agents', 'deregister'],
    ['alerts'],
    ['alerts', 'list'],
    ['alerts', 'ack'],
    ['alerts', 'resolve'],
    ['events'],
    ['events', 'tail'],
    ['token'],
    ['migrate'],
  ];
  it('every command and subcommand answers --help with its usage and exit 0', async () => {
    for (const cmd of commands) {
      const r = await run(...cmd, '--help');
      assert.equal(r.code, 0, `${cmd.join(' ')} --help`);
      assert.match(r.out, new RegExp(`^Usage: agentmon${cmd.length ? ` ${cmd.join(' ')}` : ''} `, 'm'), cmd.join(' '));
    }
    const top = await run('--help');
    assert.match(top.out, /Exit codes: 0 ok, 1 runtime or server error, 2 usage or configuration, 3 not found, 4 unauthorized/);
    for (const name of ['serve', 'demo', 'agents', 'alerts', 'events', 'token', 'migrate']) assert.match(top.out, new RegExp(`^  ${name}\\b`, 'm'));
    assert.match((await run('agents', 'list', '--help')).out, /--json/);
    const bare = await run('agents');
    assert.equal(bare.code, 2, 'a group without a subcommand shows its help and is a usage error');
  });
});
