// Lint, and the import fences of STYLE.md: which package and which server folder may import what.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const fence = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const notPackages = (names, why) => ({ group: names.map((n) => `@agentmon/${n}`), message: why });
const drivers = ['fastify', 'fastify/*', '@fastify/*', 'pg', 'better-sqlite3', 'pino'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'test-artifacts/**', 'clients/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['packages/schema/src/**'],
    ignores: ['**/*.test.ts'],
    rules: fence([
      notPackages(['server', 'sdk', 'cli', 'dashboard'], 'schema imports typebox only'),
      { group: ['node:*', ...drivers], message: 'schema is safe for browsers: typebox only' },
    ]),
  },
  {
    files: ['packages/server/src/**'],
    rules: fence([notPackages(['sdk', 'cli', 'dashboard'], 'the server imports schema only')]),
  },
  {
    files: ['packages/server/src/engine/**'],
    ignores: ['packages/server/src/engine/**/*.test.ts'],
    rules: fence([
      notPackages(['sdk', 'cli', 'dashboard'], 'the server imports schema only'),
      { group: drivers, message: 'the engine is pure: no HTTP framework, driver or logger' },
      { group: ['../routes/*', '../storage/*/*', '../storage/index.js'], message: 'the engine sees storage through ports.ts only' },
    ]),
  },
  {
    files: ['packages/server/src/storage/**'],
    rules: fence([
      notPackages(['sdk', 'cli', 'dashboard'], 'the server imports schema only'),
      { group: ['../engine/*', '../../engine/*', '../routes/*', '../../routes/*', 'fastify'], message: 'storage never imports the engine or routes' },
    ]),
  },
  {
    files: ['packages/server/src/routes/**'],
    rules: fence([
      notPackages(['sdk', 'cli', 'dashboard'], 'the server imports schema only'),
      { group: ['../storage/sqlite/*', '../storage/postgres/*', '../storage/influx/*', 'pg', 'better-sqlite3'], message: 'routes use the storage ports; storage/index.ts picks the adapter' },
    ]),
  },
  {
    files: ['packages/cli/src/**'],
    rules: fence([notPackages(['dashboard'], 'the cli reaches the dashboard through the server only')]),
  },
);
