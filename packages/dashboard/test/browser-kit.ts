/**
 * What every browser test file needs: where the built dashboard and the screenshots live, the
 * chromium to drive (or why the suite is skipped), a build of dist/ when the sources are newer,
 * and a polling wait.
 */
import type { TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig, startServer, type RunningServer, type ServerConfig } from '@agentmon/server';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, '..', '..');
/** The built dashboard the test servers serve. */
export const dist = join(pkg, 'dist');
/** Where screenshots are kept as artifacts. */
export const shots = join(root, 'test-artifacts', 'screenshots');
/** The browser driven. */
export const CHROMIUM = process.env.AGENTMON_CHROMIUM ?? '/usr/bin/chromium';
/** Chromium flags for a quiet headless run on a shared machine. */
export const LAUNCH_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser suites are skipped, or false when chromium is there. */
export const skip = existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install chromium, or set AGENTMON_CHROMIUM)`;

/** Builds dist/ unless it is newer than everything it is built from (the script `npm start` runs). */
export function ensureBuilt(): void {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-dashboard.mjs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the dashboard build failed:\n${r.stdout}\n${r.stderr}`);
}

/** Waits until `fn` returns a truthy value (polling), or fails with `what`. */
export async function until<T>(what: string, fn: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A started server serving the built dashboard, and a browser page on it. */
export interface Bench {
  server: RunningServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors of `page`. */
  pageErrors: string[];
  /** Closes the browser and the server, and deletes the data dir. */
  close(): Promise<void>;
}

/** Starts a server on a fresh data dir (sweeps every second) and a 1440×900 light browser page. */
export async function startBench(adminToken: string, dirPrefix: string, settings: Partial<ServerConfig> = {}): Promise<Bench> {
  ensureBuilt();
  mkdirSync(shots, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), dirPrefix));
  const server = await startServer(loadConfig({}, { host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', adminToken, dashboardDir: dist, sweepIntervalMs: 1000, ...settings }));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return {
    server,
    browser,
    context,
    page,
    pageErrors,
    async close() {
      await browser.close();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Wraps test bodies so a failure keeps a screenshot (`FAILED-<name>`) of what the browser showed. */
export function stepper(shot: (name: string) => Promise<void>) {
  return (name: string, fn: (t: TestContext) => Promise<void>) => async (t: TestContext) => {
    try {
      await fn(t);
    } catch (err) {
      await shot(`FAILED-${name}`).catch(() => undefined);
      throw err;
    }
  };
}

/** How many pixels of a chart's canvas are drawn in the colour the CSS variable `cssVar` holds (−1 without a canvas). */
export function colourPixels(page: Page, chartTestId: string, cssVar: string): Promise<number> {
  return page.evaluate(
    ([id, name]) => {
      const css = getComputedStyle(document.documentElement).getPropertyValue(name as string).trim();
      const n = Number.parseInt(css.slice(1), 16);
      const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
      const canvas = document.querySelector(`[data-testid=${id}] canvas`) as HTMLCanvasElement | null;
      const ctx = canvas?.getContext('2d');
      if (!canvas || !ctx) return -1;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let hits = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 200 && Math.abs(data[i]! - r) < 30 && Math.abs(data[i + 1]! - g) < 30 && Math.abs(data[i + 2]! - b) < 30) hits++;
      }
      return hits;
    },
    [chartTestId, cssVar],
  );
}
