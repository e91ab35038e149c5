/**
 * The README's "monitor your first agent in two minutes", run as written: the TypeScript and the
 * Python agent are taken from README.md's code blocks, started as their own processes against a
 * real server, stopped with Ctrl-C (SIGINT) as a person would, and what they reported is read back
 * through the API. When the README or the SDKs drift apart, this fails.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentmonClient } from '../src/index.js';
import { ADMIN, startTestServer, waitFor, type TestServer } from './server.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The fenced block of `language` that follows the line naming `file` (e.g. "`agent.ts`:"). */
function codeBlock(file: string, language: string): string {
  const at = readme.indexOf(`\`${file}\`:\n`);
  assert.ok(at >= 0, `README.md has no block introduced by \`${file}\`:`);
  const open = readme.indexOf(`\`\`\`${language}\n`, at);
  assert.ok(open >= 0, `README.md has no ${language} block after \`${file}\`:`);
  const start = open + language.length + 4;
  return readme.slice(start, readme.indexOf('\n```', start) + 1);
}

const hasPython = spawnSync('python3', ['-c', 'import sys; assert sys.version_info >= (3, 9)']).status === 0;

/** Runs `command` in `cwd` until `ready()`, then sends SIGINT; resolves to its exit code and output. */
async function runUntil(command: string, args: string[], cwd: string, env: Record<string, string>, ready: () => Promise<boolean>, what: string) {
  const child: ChildProcess = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    await waitFor(async () => child.exitCode === null && (await ready()), what, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${(err as Error).message}; the agent printed:\n${output}`);
  }
  child.kill('SIGINT');
  const code = await exited;
  return { code, output };
}

describe("README: monitor your first agent in two minutes", () => {
  let t: TestServer;
  let admin: AgentmonClient;
  const work = join(root, 'test-artifacts', `readme-agents-${process.pid}`);
  const fresh: string[] = [];
  before(async () => {
    t = await startTestServer();
    admin = new AgentmonClient({ url: t.url, token: ADMIN });
    mkdirSync(work, { recursive: true });
  });
  after(async () => {
    await t?.dispose();
    rmSync(work, { recursive: true, force: true });
    for (const dir of fresh) rmSync(dir, { recursive: true, force: true });
  });

  /** Checks what the agent named `name` reported: identity, health check, tasks with their tokens. */
  async function reported(name: string): Promise<void> {
    const page = await admin.listAgents({ q: name });
    const agent = page.items.find((a) => a.name === name);
    assert.ok(agent, `${name} registered`);
    assert.equal(agent.type, 'llm_agent');
    assert.equal(agent.environment, 'development');
    const health = await admin.getHealth(agent.id);
    assert.ok(health.checks.some((c) => c.name === 'model_api' && c.status), 'model_api check reported healthy');
    const now = Date.now();
    const sums = await admin.queryMetrics({
      agent_ids: [agent.id],
      metric_names: ['tasks_completed', 'tasks_failed', 'tokens_processed', 'model_inference_time_ms'],
      aggregation: 'sum',
      start_time: new Date(now - 600_000).toISOString(),
      end_time: new Date(now + 60_000).toISOString(),
    });
    const row = sums.data[0];
    assert.ok(row, 'metrics stored');
    const tasks = Number(row.tasks_completed);
    assert.ok(tasks >= 2, `tasks_completed summed to ${tasks}`);
    // Ctrl-C may land in the middle of a task, which then counts as failed (and has no tokens).
    assert.ok(Number(row.tasks_failed) <= 1, `tasks_failed summed to ${String(row.tasks_failed)}`);
    assert.equal(Number(row.tokens_processed), tasks * 250, 'tokens: 250 per task');
    assert.ok(Number(row.model_inference_time_ms) > 0, 'inference time reported');
  }

  /** True once the agent is registered, online, and its health check has been reported. */
  async function registeredAndChecked(name: string): Promise<boolean> {
    const page = await admin.listAgents({ q: name });
    const agent = page.items.find((a) => a.name === name);
    if (!agent || agent.status !== 'online') return false;
    const health = await admin.getHealth(agent.id);
    return health.checks.some((c) => c.name === 'model_api');
  }

  it('the TypeScript agent (agent.mts, run with tsx in a fresh folder) reports tasks, tokens and its health check', async () => {
    // A fresh folder outside this repository (whose package.json says "type": "module"), holding
    // what `npm install /path/to/agentmon/packages/sdk` leaves: a link to the SDK's folder.
    const dir = mkdtempSync(join(tmpdir(), 'agentmon-readme-ts-'));
    fresh.push(dir);
    mkdirSync(join(dir, 'node_modules', '@agentmon'), { recursive: true });
    symlinkSync(join(root, 'packages', 'sdk'), join(dir, 'node_modules', '@agentmon', 'sdk'), 'dir');
    writeFileSync(join(dir, 'agent.mts'), codeBlock('agent.mts', 'ts'));
    let readyAt = 0;
    const { code, output } = await runUntil(
      process.execPath,
      // tsx from this repository (the README installs it beside the agent); the SDK from its sources.
      ['--conditions=source', '--import', import.meta.resolve('tsx'), 'agent.mts'],
      dir,
      { AGENTMON_URL: t.url, AGENTMON_TOKEN: ADMIN },
      async () => {
        if (readyAt === 0 && (await registeredAndChecked('my-first-agent'))) readyAt = Date.now();
        return readyAt > 0 && Date.now() - readyAt > 2500; // a few tasks (one a second)
      },
      'the TypeScript agent to report',
    );
    assert.equal(code, 0, `agent.mts exited ${code}:\n${output}`);
    await reported('my-first-agent');
  });

  it('the Python agent (agent.py beside agentmon.py) reports tasks, tokens and its health check', { skip: hasPython ? false : 'python3 (3.9+) not found' }, async () => {
    const dir = join(work, 'py');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'agent.py'), codeBlock('agent.py', 'python'));
    copyFileSync(join(root, 'clients', 'python', 'agentmon.py'), join(dir, 'agentmon.py'));
    let readyAt = 0;
    const { code, output } = await runUntil(
      'python3',
      ['agent.py'],
      dir,
      { AGENTMON_URL: t.url, AGENTMON_TOKEN: ADMIN },
      async () => {
        if (readyAt === 0 && (await registeredAndChecked('my-first-py-agent'))) readyAt = Date.now();
        return readyAt > 0 && Date.now() - readyAt > 2500;
      },
      'the Python agent to report',
    );
    assert.equal(code, 0, `agent.py exited ${code}:\n${output}`);
    await reported('my-first-py-agent');
  });
});
