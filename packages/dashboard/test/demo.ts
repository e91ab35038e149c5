/**
 * A server with a demo fleet, for looking at the dashboard by hand:
 *   node --conditions=source --import tsx packages/dashboard/test/demo.ts [--agents 30] [--port 8090]
 * It prints the URL and the admin token, then keeps the fleet reporting every 15 s (so the live
 * stream has something to say) until Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, startServer } from '@agentmon/server';
import { postNow, seedFleet } from './fleet.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-demo-'));
const adminToken = 'demo-admin-token-0123456789';
const server = await startServer(
  loadConfig({}, {
    port: arg('port', 8090),
    dataDir,
    logLevel: 'warn',
    adminToken,
    dashboardDir: fileURLToPath(new URL('../dist', import.meta.url)),
  }),
);
const fleet = await seedFleet(server.url, adminToken, { count: arg('agents', 30), hours: arg('hours', 6) });
console.log(`agentmon demo on ${server.url}  token: ${adminToken}  (${fleet.agents.length} agents)`);
const timer = setInterval(() => {
  fleet.agents.forEach((a, i) => {
    if (a.role === 'silent' || a.role === 'maintenance') return;
    postNow(server.url, a, i, a.role !== 'healthy' && a.role !== 'counter', Date.now() + i).catch((err: unknown) => console.error(String(err)));
  });
}, 15_000);
const stop = async () => {
  clearInterval(timer);
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
