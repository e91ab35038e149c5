/**
 * `agentmon demo`: a fleet of simulated agents reporting through the SDK, against a server at
 * --url, or (--serve) against one started in this process. Runs until Ctrl-C or --duration.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { connect, connectionOptions, type ConnectionFlags } from '../connection.js';
import type { Output } from '../output.js';
import { startDemo } from '../demo/run.js';
import { integerOption } from './agents.js';
import { configFrom, listenOptions, untilSignal, type ServeFlags } from './serve.js';

interface DemoFlags extends ConnectionFlags, ServeFlags {
  agents: number;
  speed: number;
  interval: number;
  serve?: boolean;
  duration?: number;
  silentAfter: number;
  incidentEvery: number;
  incidentFor: number;
  history: number;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 100_000) throw new InvalidArgumentError('must be a number above 0 (at most 100000)');
  return n;
}

/** The `demo` command. */
/** Most simulated agents: each is a full SDK reporter on this one event loop. */
const MAX_DEMO_AGENTS = 500;

/**
 * Starts the demo's own server, turning the two ways it collides with a server already running
 * into what to do about them: a taken port, and a data dir another process holds.
 */
async function startDemoServer(config: Parameters<typeof import('@agentmon/server').startServer>[0]) {
  const { startServer } = await import('@agentmon/server');
  try {
    return await startServer(config);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new Error(
        `port ${config.port} on ${config.host} is taken, by an agentmon server perhaps: run the demo against it without --serve ` +
          `(--url, --token), or give the demo's server another --port and --data-dir`,
      );
    }
    if (/in use by another agentmon process/.test(e.message ?? '')) {
      throw new Error(`${e.message}. A demo started with --serve needs a data dir of its own: --data-dir ./demo-data --port 8081, or run it without --serve against the running server`);
    }
    throw err;
  }
}

export function demoCommand(io: Output): Command {
  const cmd = new Command('demo')
    .description('run a fleet of simulated agents (every type and deployment, load curves, incidents) so every screen has something to show')
    .option('--agents <n>', `how many agents (1 to ${MAX_DEMO_AGENTS}: each runs the SDK in this process; for a bigger fleet see npm run bench)`, integerOption(1, MAX_DEMO_AGENTS), 24)
    .option('--speed <factor>', 'simulated time per real time, for the daily load curves', positiveNumber, 60)
    .option('--interval <seconds>', 'metrics interval of each agent (health checks: at least 5 s)', integerOption(1, 3600), 5)
    .option('--serve', 'start an agentmon server in this process too (--host, --port, --data-dir, --database-url, --influx-url)')
    .option('--duration <seconds>', 'stop after this long (default: at Ctrl-C)', integerOption(1, 31_536_000))
    .option('--silent-after <seconds>', 'when the silent agent stops reporting', integerOption(1, 31_536_000), 90)
    .option('--incident-every <seconds>', "time between one agent's incidents", integerOption(10, 86_400), 600)
    .option('--incident-for <seconds>', 'how long an incident lasts', integerOption(5, 86_400), 75)
    .option('--history <hours>', 'hours of calm history to send first, so charts have a past (0: none)', integerOption(0, 720), 24)
    .addOption(new Option('--database-url <url>', 'with --serve: postgres:// URL (env AGENTMON_DATABASE_URL)'))
    .addOption(new Option('--influx-url <url>', 'with --serve: InfluxDB 1.x URL for the metrics (env AGENTMON_INFLUX_URL)'));
  listenOptions(connectionOptions(cmd));

  return cmd.action(async (flags: DemoFlags) => {
    let url: string;
    let token: string;
    let server: Awaited<ReturnType<typeof import('@agentmon/server').startServer>> | null = null;
    if (flags.serve) {
      const config = await configFrom({
        ...flags,
        // A demo's console is for the fleet's story; the server speaks up for warnings only, unless asked.
        ...(flags.logLevel || process.env.AGENTMON_LOG_LEVEL ? {} : { logLevel: 'warn' }),
      });
      server = await startDemoServer(config);
      url = server.url;
      token = server.adminToken;
      io.out(
        `agentmon listening on ${server.url} (storage: ${server.stores.kind}, ${server.stores.location})\n` +
          `  dashboard: ${server.url}/\n  API docs:  ${server.url}/docs\n  admin token: ${server.adminToken}\n`,
      );
    } else {
      ({ url, token } = connect(flags));
    }
    try {
      const demo = await startDemo({
        url,
        token,
        agents: flags.agents,
        speed: flags.speed,
        intervalSeconds: flags.interval,
        silentAfterMs: flags.silentAfter * 1000,
        incidentPeriodMs: flags.incidentEvery * 1000,
        incidentDurationMs: Math.min(flags.incidentFor, flags.incidentEvery) * 1000,
        historyHours: flags.history,
        io,
      });
      io.out(flags.duration ? `running for ${flags.duration} s\n` : 'Ctrl-C to stop\n');
      await untilSignal(flags.duration !== undefined ? flags.duration * 1000 : undefined);
      io.out('stopping the fleet\n');
      await demo.stop();
    } finally {
      await server?.close();
    }
  });
}
