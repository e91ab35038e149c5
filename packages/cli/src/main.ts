/**
 * The agentmon CLI: serve, demo, agents, alerts, events, token, migrate. Tables for people and
 * --json for scripts. Exit codes: 0 ok, 1 failure at run time (server unreachable or failing, port
 * taken), 2 bad usage or configuration, 3 not found, 4 unauthorized (see exit-codes.ts).
 */
import { Command, CommanderError } from 'commander';
import { agentsCommand } from './commands/agents.js';
import { alertsCommand } from './commands/alerts.js';
import { demoCommand } from './commands/demo.js';
import { eventsCommand } from './commands/events.js';
import { migrateCommand, serveCommand } from './commands/serve.js';
import { tokenCommand } from './commands/token.js';
import { EXIT, describeFailure } from './exit-codes.js';
import { stdio, type Output } from './output.js';

export { EXIT, CliError, type ExitCode } from './exit-codes.js';

/** Exit code for bad usage or configuration. */
export const EXIT_USAGE = EXIT.USAGE;

/** Commander settings every command and subcommand gets: errors come back to main, help after them. */
function configure(cmd: Command, io: Output): void {
  cmd.exitOverride().showHelpAfterError('(add --help for usage)').configureOutput({ writeOut: io.out, writeErr: io.err });
  for (const sub of cmd.commands) configure(sub, io);
}

/** Runs the CLI with `argv` (as process.argv); resolves to the exit code. Never rejects. */
export async function main(argv: readonly string[], io: Output = stdio): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = new Command()
    .name('agentmon')
    .description('agentmon: monitoring for fleets of AI agents')
    .version('0.1.0')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 runtime or server error, 2 usage or configuration, 3 not found, 4 unauthorized.\n' +
        'Client commands talk to --url (env AGENTMON_URL, default http://127.0.0.1:8080) with --token\n' +
        '(env AGENTMON_TOKEN; default: the admin token in <data-dir>/admin-token).',
    );
  program.addCommand(serveCommand(io, (code) => (exitCode = code)));
  program.addCommand(demoCommand(io));
  program.addCommand(agentsCommand(io));
  program.addCommand(alertsCommand(io));
  program.addCommand(eventsCommand(io));
  program.addCommand(tokenCommand(io));
  program.addCommand(migrateCommand(io));
  configure(program, io);

  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    if (err instanceof Error && err.name === 'ConfigError') {
      io.err(`agentmon: configuration error: ${err.message}\n`);
      return EXIT.USAGE;
    }
    const { code, message } = describeFailure(err);
    io.err(`agentmon: ${message}\n`);
    return code;
  }
}
