#!/usr/bin/env node
/** The `agentmon` command. */
import { main } from './main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`agentmon: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
