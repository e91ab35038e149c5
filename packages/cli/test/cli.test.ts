import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'node:http';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'src', 'bin.ts');
const nodeArgs = ['--conditions=source', '--import', 'tsx', bin];
const env = (extra: Record<string, string> = {}) => {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of ['AGENTMON_DATABASE_URL', 'AGENTMON_INFLUX_URL', 'AGENTMON_ADMIN_TOKEN', 'AGENTMON_REGISTRATION_TOKEN', 'HOST', 'PORT', 'AGENTMON_DATA_DIR']) {
    if (!(k in extra)) delete e[k];
  }
  return e;
};

/** Runs `agentmon serve` on a free port; resolves once it prints its address. */
function serve(dataDir: string, extraEnv: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; stdout: () => string }> {
  const child = spawn(process.execPath, [...nodeArgs, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    cwd: root,
    env: env(extraEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out} ${err}`)), 30_000);
    child.stdout?.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m && /API docs/.test(out)) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string, stdout: () => out });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code}: ${out} ${err}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('agentmon serve (a real server on a real port)', () => {
  let dataDir: string;
  let server: Awaited<ReturnType<typeof serve>>;
  let token: string;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'agentmon-cli-'));
    server = await serve(dataDir);
    const m = /admin token \(generated now, kept in (.+?); shown once\):\n\s+(\S+)/.exec(server.stdout());
    assert.ok(m, server.stdout());
    token = m[2] as string;
  });
  after(async () => {
    if (server) await stop(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the dashboard address first', () => {
    const first = server.stdout().split('\n')[0];
    assert.equal(first, `agentmon dashboard: ${server.url}/ (log in with the admin token)`);
  });

  it('prints the admin token once, keeps it in the data dir (0600) with the metadata and series files', () => {
    const file = join(dataDir, 'admin-token');
    assert.equal(readFileSync(file, 'utf8').trim(), token);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(existsSync(join(dataDir, 'agentmon.db')));
    assert.ok(existsSync(join(dataDir, 'series', 'MANIFEST')), 'the series engine keeps its manifest under series/');
  });

  it('answers probes, docs and the API over HTTP', async () => {
    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', stores: { metadata: 'ok', series: 'ok' }, data_dir: 'ok' });
    const docs = await fetch(`${server.url}/docs/json`);
    assert.equal(docs.status, 200);
    const spec = (await docs.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(spec.openapi, '3.1.0');
    for (const path of ['/api/v1/agents', '/api/v1/agents/{id}', '/api/v1/agents/{id}/metrics', '/api/v1/metrics', '/api/v1/metrics/query', '/api/v1/agents/{id}/config', '/api/v1/events']) {
      assert.ok(spec.paths[path], `${path} documented`);
    }
    const ui = await fetch(`${server.url}/docs`, { redirect: 'follow' });
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger/i);
    assert.equal((await fetch(`${server.url}/api/v1/agents`)).status, 401);
    const list = await fetch(`${server.url}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(list.status, 200);
    assert.deepEqual(await list.json(), { items: [], total: 0, page: 1, page_size: 50 });
  });

  it('refuses a body over the limit with 413 and the error body', async () => {
    // Sent chunked, so the server must count while it reads and stop at the limit.
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/api/v1/agents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', (err) => reject(err));
      const chunk = 'x'.repeat(1024 * 1024);
      req.write('{"name":"');
      for (let i = 0; i < 11; i++) req.write(chunk);
      req.end('"}');
    });
    assert.equal(status, 413);
    assert.equal((JSON.parse(body) as { error: string }).error, 'PAYLOAD_TOO_LARGE');
  });

  it('restarts on the same data dir: same token (not printed again), data kept', async () => {
    const created = await fetch(`${server.url}/api/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kept', type: 'custom', version: '1', deployment_type: 'local', host: 'h', environment: 'dev' }),
    });
    assert.equal(created.status, 201);
    assert.equal(await stop(server.child), 0, 'SIGTERM closes cleanly');
    server = await serve(dataDir);
    assert.doesNotMatch(server.stdout(), new RegExp(token.replace(/[.]/g, '\\.')));
    const list = await fetch(`${server.url}/api/v1/agents`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await list.json()) as { total: number }).total, 1);
  });
});

describe('the node flags the server starts with', () => {
  /** The flags after `node` in a command line, up to the script. */
  const flagsOf = (line: string): string[] => {
    const words = line.trim().split(/\s+/);
    const at = words.indexOf('node');
    assert.ok(at >= 0, `no node in ${line}`);
    const flags: string[] = [];
    for (const word of words.slice(at + 1)) {
      if (!word.startsWith('--')) break;
      flags.push(word);
    }
    return flags;
  };
  /** The environment assignments right before `node` in a command line (`VAR=value node ...`). */
  const envOf = (line: string): Record<string, string> => {
    const words = line.trim().split(/\s+/);
    const env: Record<string, string> = {};
    for (let i = words.indexOf('node') - 1; i >= 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[i] as string); i--) {
      const word = words[i] as string;
      env[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
    }
    return env;
  };
  const command = join(root, 'packages', 'cli', 'bin', 'agentmon.js');
  const shebang = (readFileSync(command, 'utf8').split('\n')[0] as string).replace(/^#!/, '');

  it('are the same for the agentmon command, npm start and npm run demo, and so is the allocator environment', () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const flags = flagsOf(shebang);
    assert.ok(flags.includes('--max-semi-space-size=32'), `the command's flags: ${flags.join(' ')}`);
    assert.deepEqual(flagsOf(scripts.start as string), flags);
    assert.deepEqual(flagsOf(scripts.demo as string), flags);
    const env = envOf(shebang);
    assert.deepEqual(env, { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072' });
    assert.deepEqual(envOf(scripts.start as string), env);
    assert.deepEqual(envOf(scripts.demo as string), env);
  });

  it("reach node through the command's #! line, which runs the command", () => {
    // The interpreter line as the kernel runs it (`/usr/bin/env -S node <flags>`), on a probe script.
    const [envPath, ...rest] = shebang.trim().split(/\s+/);
    const dir = mkdtempSync(join(tmpdir(), 'agentmon-shebang-'));
    try {
      const script = join(dir, 'probe.cjs');
      writeFileSync(
        script,
        'process.stdout.write(JSON.stringify({ argv: process.execArgv, arenas: process.env.MALLOC_ARENA_MAX, mmap: process.env.MALLOC_MMAP_THRESHOLD_ }));',
      );
      // The kernel hands everything after the interpreter to it as one argument, which `env -S` splits.
      const probe = spawnSync(envPath as string, [rest.join(' '), script], { encoding: 'utf8' });
      assert.equal(probe.status, 0, probe.stderr);
      const seen = JSON.parse(probe.stdout) as { argv: string[]; arenas?: string; mmap?: string };
      assert.deepEqual(seen.argv, flagsOf(shebang));
      const env = envOf(shebang);
      assert.deepEqual({ arenas: seen.arenas, mmap: seen.mmap }, { arenas: env.MALLOC_ARENA_MAX, mmap: env.MALLOC_MMAP_THRESHOLD_ });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // And the file itself, executed as npm links it.
    const run = spawnSync(command, ['--help'], { cwd: root, env: env(), encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Usage: agentmon/);
  });
});

describe('agentmon migrate and usage errors', () => {
  it('applies migrations once, then reports up to date', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-migrate-'));
    try {
      const first = spawnSync(process.execPath, [...nodeArgs, 'migrate', '--data-dir', dataDir], { cwd: root, env: env(), encoding: 'utf8' });
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /applied metadata \[1[^\]]*\], series \[1[^\]]*\]/);
      const second = spawnSync(process.execPath, [...nodeArgs, 'migrate', '--data-dir', dataDir], { cwd: root, env: env(), encoding: 'utf8' });
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stdout, /up to date/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('exits 2 with a clear message on bad configuration or usage', () => {
    const badPort = spawnSync(process.execPath, [...nodeArgs, 'serve', '--port', 'eighty'], { cwd: root, env: env(), encoding: 'utf8' });
    assert.equal(badPort.status, 2);
    assert.match(badPort.stderr, /--port must be an integer/);
    const badUrl = spawnSync(process.execPath, [...nodeArgs, 'migrate'], { cwd: root, env: env({ AGENTMON_DATABASE_URL: 'mysql://x' }), encoding: 'utf8' });
    assert.equal(badUrl.status, 2);
    assert.match(badUrl.stderr, /AGENTMON_DATABASE_URL must be a postgres:\/\/ URL/);
    const noDatabase = spawnSync(process.execPath, [...nodeArgs, 'migrate'], { cwd: root, env: env({ AGENTMON_INFLUX_URL: 'http://127.0.0.1:8086' }), encoding: 'utf8' });
    assert.equal(noDatabase.status, 2);
    assert.match(noDatabase.stderr, /AGENTMON_INFLUX_URL: the URL's path must name the database/);
    const badInflux = spawnSync(process.execPath, [...nodeArgs, 'migrate', '--influx-url', 'ftp://x/agentmon'], { cwd: root, env: env(), encoding: 'utf8' });
    assert.equal(badInflux.status, 2);
    assert.match(badInflux.stderr, /--influx-url must be an http\(s\):\/\/ URL of InfluxDB 1\.x/);
    const unknown = spawnSync(process.execPath, [...nodeArgs, 'frobnicate'], { cwd: root, env: env(), encoding: 'utf8' });
    assert.equal(unknown.status, 2);
    const help = spawnSync(process.execPath, [...nodeArgs, '--help'], { cwd: root, env: env(), encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /serve/);
    assert.match(help.stdout, /migrate/);
  });
});
