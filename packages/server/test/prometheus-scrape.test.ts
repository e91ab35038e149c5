/**
 * Debian's Prometheus scraping a listening agentmon with the scrape token, as the README's scrape
 * config says: the job with the token is up and its series are queryable in Prometheus; a job with
 * a wrong token is down. Skipped when /usr/bin/prometheus is not there (CI installs it).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, bearer, metricsBody, register, testApp, type TestApp } from './harness.js';

const PROMETHEUS = existsSync('/usr/bin/prometheus') ? '/usr/bin/prometheus' : null;
const SCRAPE = 'scrape-token-for-prometheus-0123456789';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Polls `check` until it gives a value, or fails after `ms` with what was last seen. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

type Sample = { metric: Record<string, string>; value: [number, string] };

describe('Prometheus scrapes agentmon with the scrape token', { skip: PROMETHEUS ? false : '/usr/bin/prometheus is not installed (Debian package prometheus)' }, () => {
  let t: TestApp;
  let prometheus: ChildProcess | null = null;
  let dir: string;
  let promUrl: string;
  let output = '';

  const query = async (promql: string): Promise<Sample[]> => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data: { result: Sample[] } };
    assert.equal(body.status, 'success');
    return body.data.result;
  };

  before(async () => {
    t = await testApp('sqlite', { scrapeToken: SCRAPE });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    const target = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const { id } = await register(t, { name: 'scraped-agent', environment: 'production' });
    const sent = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: metricsBody(id) });
    assert.equal(sent.statusCode, 202);

    dir = mkdtempSync(join(tmpdir(), 'agentmon-prometheus-'));
    writeFileSync(join(dir, 'token'), `${SCRAPE}\n`);
    writeFileSync(join(dir, 'wrong-token'), 'not-the-scrape-token-0000000\n');
    const job = (name: string, tokenFile: string) => `
  - job_name: ${name}
    scrape_interval: 1s
    metrics_path: /metrics
    authorization:
      credentials_file: ${join(dir, tokenFile)}
    static_configs:
      - targets: ['${target}']`;
    writeFileSync(join(dir, 'prometheus.yml'), `scrape_configs:${job('agentmon', 'token')}${job('agentmon-wrong-token', 'wrong-token')}\n`);
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS as string,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    prometheus.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('close', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the job with the scrape token is up and its series are in Prometheus; the job with a wrong token is down', async () => {
    try {
      const up = await eventually('both jobs scraped', async () => {
        const samples = await query('up');
        return samples.length === 2 ? samples : undefined;
      });
      const byJob = Object.fromEntries(up.map((s) => [s.metric.job, s.value[1]]));
      assert.deepEqual(byJob, { agentmon: '1', 'agentmon-wrong-token': '0' });

      const info = await query('agentmon_agent_info{name="scraped-agent"}');
      assert.equal(info.length, 1);
      assert.equal(info[0]?.metric.environment, 'production');
      const cpu = await query('agentmon_agent_cpu_usage_ratio * on (agent_id) group_left (name) agentmon_agent_info{environment="production"}');
      assert.equal(cpu[0]?.metric.name, 'scraped-agent');
      assert.equal(Number(cpu[0]?.value[1]), 0.425);
      const tokens = await query('agentmon_agent_tokens_total');
      assert.equal(Number(tokens[0]?.value[1]), 1200);

      // Prometheus says why the other job is down: agentmon refused its token.
      const targets = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as { data: { activeTargets: { labels: { job: string }; lastError: string }[] } };
      const refused = targets.data.activeTargets.find((x) => x.labels.job === 'agentmon-wrong-token');
      assert.match(refused?.lastError ?? '', /401/);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nprometheus printed:\n${output.slice(-3000)}`);
    }
  });
});
