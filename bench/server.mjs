/**
 * The server under test, run as a child process of bench/run.ts so that its memory figures are its
 * own and the load generator never steals its event loop. It builds the app with buildApp on fresh
 * stores (series in InfluxDB when the spec names one), listens on 127.0.0.1 port 0, and answers the
 * parent over IPC (messages: bench/protocol.ts).
 *
 * Plain JavaScript on the built server (`npm run bench` builds it first), started without tsx: the
 * server runs as `npm start` runs it, so its CPU and memory are what a user's would be.
 */
import { buildApp, DEFAULT_CONFIG, openStores } from '@agentmon/server';

/** @param {import('./protocol.js').ChildMessage} message */
function send(message) {
  process.send?.(message);
}

/** @param {import('./protocol.js').ServerSpec} spec */
async function main(spec) {
  const stores = await openStores({
    dataDir: spec.dataDir,
    databaseUrl: spec.databaseUrl,
    influxUrl: spec.influxUrl,
    ...(spec.schema ? { schema: spec.schema } : {}),
  });
  /** @type {import('@agentmon/server').ServerConfig} */
  const config = {
    ...DEFAULT_CONFIG,
    dataDir: spec.dataDir,
    databaseUrl: spec.databaseUrl,
    influxUrl: spec.influxUrl,
    logLevel: 'silent',
    port: 0,
    // The alert phase's webhook receiver listens on loopback, which targets may not by default.
    notifyAllowedTargets: ['127.0.0.1'],
  };
  // No sweeper: the figures are the request paths' own cost. The notifier runs as in `serve`
  // (buildApp makes it from the config, default group wait): until the alert phase adds a webhook
  // target it has none, so alerts fired by the ingest phases cost a map entry each and one read of
  // the (empty) target list per group wait, and send nothing. The logger is off (its cost is not
  // the server's work); BENCH_SERVER_LOG=error shows why a request failed.
  const level = process.env.BENCH_SERVER_LOG;
  const app = await buildApp(config, {
    metadata: stores.metadata,
    series: stores.series,
    adminToken: spec.adminToken,
    logger: level ? { level } : false,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  process.on('message', (/** @type {import('./protocol.js').ParentMessage} */ message) => {
    if (message.type === 'stats') {
      const elu = performance.eventLoopUtilization();
      send({ type: 'stats', memory: process.memoryUsage(), cpu: process.cpuUsage(), elu: { active: elu.active, idle: elu.idle } });
    } else if (message.type === 'stop') {
      void (async () => {
        await app.close();
        await stores.close();
        send({ type: 'stopped' });
        process.disconnect();
      })();
    }
  });
  // Never outlive the bench: when it goes away (IPC closed) without a stop, so does the server.
  process.once('disconnect', () => process.exit());
  send({ type: 'ready', port, location: stores.location, notifyGroupWaitMs: config.notifyGroupWaitMs });
}

/** @type {import('./protocol.js').ServerSpec | null} */
const spec = JSON.parse(process.env.AGENTMON_BENCH_SPEC ?? 'null');
if (!spec || !process.send) {
  console.error('bench/server.ts is started by bench/run.ts');
  process.exit(2);
}
main(spec).catch((err) => {
  send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exitCode = 1;
  process.disconnect();
});
