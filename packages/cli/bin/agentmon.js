#!/usr/bin/env node
// The `agentmon` command as npm links it: runs the built CLI, or says how to build it.
try {
  await import('../dist/bin.js');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/bin.js')) {
    console.error('agentmon: the CLI is not built yet; run `npm run build` in the agentmon checkout');
    process.exitCode = 2;
  } else {
    throw err;
  }
}
