/**
 * The published packages as a user gets them: `npm pack` on @agentmon/schema and @agentmon/sdk (their
 * prepack builds them), the tarballs installed in a fresh ES module project and a fresh CommonJS
 * project in a temp dir far from this repository, and a script in each that imports the SDK and
 * reports to a started server. A file the package forgets to ship, an export pointing nowhere or a
 * dependency left out fails here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentmonClient } from '../src/index.js';
import { ADMIN, REGISTRATION, startTestServer, type TestServer } from './server.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
/** npm without the repository's environment leaking in (a test runner's NODE_OPTIONS would add `source`). */
const cleanEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];
  return env;
};

/** Runs a command to its end, blocking (npm and tar: nothing in this process needs to answer meanwhile). */
function run(command: string, args: string[], cwd: string): string {
  const res = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 240_000 });
  assert.equal(res.status, 0, `${command} ${args.join(' ')} in ${cwd} failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

/** Runs a command without blocking: the server it reports to runs in this process. */
function runAsync(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out}\n${err}`))));
  });
}

/** Every file path an `exports` map names, under any condition. */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.values(exports as Record<string, unknown>).flatMap(exportTargets);
}

/** The script both projects run: import the SDK, report one task, read back its own id. */
const script = (load: string) => `${load}
async function main() {
  const { AgentMonitor } = sdk;
  const [url, token, name] = process.argv.slice(2);
  const monitor = new AgentMonitor({ url, token, agent: { name, type: 'llm_agent', version: '1.0.0', environment: 'packed' } });
  await monitor.start();
  monitor.recordTask(120, true);
  monitor.recordTokens(321);
  await monitor.stop();
  const stats = monitor.stats();
  console.log(JSON.stringify({ agentId: stats.agentId, resolved: where, stats }));
}
main().catch((err) => { console.error(err); process.exit(1); });
`;

describe('@agentmon/schema and @agentmon/sdk packed and installed in fresh projects', () => {
  let t: TestServer;
  let dir: string;
  const tarballs: Record<'schema' | 'sdk', string> = { schema: '', sdk: '' };
  before(async () => {
    t = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'agentmon-pack-'));
    for (const name of ['schema', 'sdk'] as const) {
      const out = run('npm', ['pack', '--json', '--pack-destination', dir], join(root, 'packages', name));
      const [info] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
      assert.ok(info, `npm pack ${name} said what it made`);
      tarballs[name] = join(dir, info.filename);
    }
  });
  after(async () => {
    await t?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each tarball holds what its manifest points at, its README and LICENSE, and no tests', () => {
    for (const name of ['schema', 'sdk'] as const) {
      const files = run('tar', ['tzf', tarballs[name]], dir).split('\n').filter((f) => f !== '').map((f) => f.replace(/^package\//, ''));
      const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { exports: unknown; engines?: { node?: string }; repository?: { url?: string } };
      for (const target of exportTargets(manifest.exports)) {
        assert.ok(files.includes(target.replace(/^\.\//, '')), `${name}: exports point at ${target}, which the tarball ships`);
      }
      for (const file of ['README.md', 'LICENSE', 'package.json']) assert.ok(files.includes(file), `${name} ships ${file}`);
      assert.deepEqual(files.filter((f) => /\.test\.|(^|\/)test\//.test(f)), [], `${name} ships no tests`);
      assert.ok(manifest.engines?.node, `${name} states its Node engine`);
      assert.ok(manifest.repository?.url, `${name} names its repository`);
    }
  });

  for (const kind of ['module', 'commonjs'] as const) {
    it(`a fresh ${kind === 'module' ? 'ES module' : 'CommonJS'} project installs both tarballs and reports to a server`, async () => {
      const project = join(dir, kind);
      mkdirSync(project);
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `packed-${kind}`, version: '1.0.0', private: true, type: kind }));
      // From npm's cache when it has typebox (it does after the repository's own install); else the registry.
      run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarballs.schema, tarballs.sdk], project);
      const file = kind === 'module' ? 'report.mjs' : 'report.cjs';
      const load =
        kind === 'module'
          ? "import * as sdk from '@agentmon/sdk';\nconst where = import.meta.resolve('@agentmon/sdk');"
          : "const sdk = require('@agentmon/sdk');\nconst where = require.resolve('@agentmon/sdk');";
      writeFileSync(join(project, file), script(load));
      const name = `packed-${kind}-agent`;
      const out = await runAsync(process.execPath, [file, t.url, REGISTRATION, name], project);
      const result = JSON.parse(out.trim().split('\n').at(-1) as string) as { agentId: string; resolved: string; stats: { sent: number; dropped: number } };
      // The project's own installed copy ran, compiled JavaScript, not this repository's sources.
      assert.ok(result.resolved.includes(join(project, 'node_modules', '@agentmon', 'sdk', 'dist')) || result.resolved.includes(`${kind}/node_modules/@agentmon/sdk/dist`), result.resolved);
      assert.ok(result.stats.sent >= 1 && result.stats.dropped === 0, JSON.stringify(result.stats));

      const admin = new AgentmonClient({ url: t.url, token: ADMIN });
      const agent = await admin.getAgent(result.agentId);
      assert.equal(agent.name, name);
      assert.equal(agent.environment, 'packed');
      const now = Date.now();
      const sums = await admin.queryMetrics({
        agent_ids: [result.agentId],
        metric_names: ['tasks_completed', 'tokens_processed'],
        aggregation: 'sum',
        start_time: new Date(now - 600_000).toISOString(),
        end_time: new Date(now + 60_000).toISOString(),
      });
      assert.equal(sums.data[0]?.tasks_completed, 1);
      assert.equal(sums.data[0]?.tokens_processed, 321);
    });
  }
});
