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
    // The TypeBox-free entry (@agentmon/schema/plain) and what it exports: no TypeBox, not even
    // through a module that imports it; types from anywhere.
    files: ['packages/schema/src/{plain,values,metrics,defaults,default-values,error-codes,backoff}.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['typebox', 'typebox/*', 'node:*', ...drivers], message: '@agentmon/schema/plain carries no TypeBox and runs in browsers' },
            { group: ['./common.js', './enums.js', './models.js', './api.js', './live.js', './usage.js', './index.js'], allowTypeImports: true, message: 'these modules import TypeBox: types only' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/server/src/**'],
    ignores: ['packages/server/src/testing/**', '**/*.test.ts'],
    rules: fence([
      notPackages(['sdk', 'cli', 'dashboard'], 'the server imports schema only'),
      { group: ['**/testing/*', '**/testing/index.js'], message: 'test support (src/testing) is for the tests, the bench and the scripts, never the server' },
    ]),
  },
  ...[
    ['live', 'the live bus: schema and the storage ports (its Broadcaster) only'],
    ['notify', 'notifications: schema, the storage ports and the alert types only; HTTP is node:http'],
    ['otlp', 'the OTLP translation: schema, the storage ports and the monitor it feeds; routes/otlp.ts speaks HTTP'],
    ['usage', 'spend services: schema, the storage ports and the engine\'s pure pricing'],
    ['prometheus', 'the exposition: what it renders comes in as arguments'],
  ].map(([folder, why]) => ({
    files: [`packages/server/src/${folder}/**`],
    ignores: ['**/*.test.ts'],
    rules: fence([
      notPackages(['sdk', 'cli', 'dashboard'], 'the server imports schema only'),
      { group: ['../routes/*', '../app.js', '../storage/*/*', '../storage/index.js', 'pg', 'better-sqlite3', 'pino', '**/testing/*'], message: why },
      ...(folder === 'prometheus' ? [] : [{ group: ['fastify', 'fastify/*', '@fastify/*'], message: why }]),
    ]),
  })),
  {
    files: ['packages/server/src/services/**'],
    ignores: ['**/*.test.ts'],
    rules: fence([
      notPackages(['sdk', 'cli', 'dashboard'], 'the server imports schema only'),
      { group: ['../routes/*', '../app.js', '../storage/*/*', '../storage/index.js', 'pg', 'better-sqlite3', 'pino', '**/testing/*', 'fastify', 'fastify/*', '@fastify/*'], message: 'services hold the use cases: the engine, the storage ports and the live bus; HTTP stays in routes/' },
    ]),
  },
  {
    files: ['packages/server/src/engine/**'],
    ignores: ['packages/server/src/engine/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            notPackages(['sdk', 'cli', 'dashboard'], 'the server imports schema only'),
            { group: drivers, message: 'the engine is pure: no HTTP framework, driver or logger' },
            { group: ['../routes/*', '../services/*', '../storage/*/*', '../storage/index.js'], message: 'the engine is pure: data in, data out; services/ drive it and the stores' },
          ],
          paths: [
            {
              name: '../storage/ports.js',
              importNames: [
                'SeriesStore',
                'MetadataStore',
                'StoreLifecycle',
                'AgentStore',
                'IngestStore',
                'MonitoringConfigStore',
                'HealthCheckStore',
                'AlertStore',
                'EventStore',
                'NotificationTargetStore',
                'SettingStore',
                'LockStore',
              ],
              message: 'the engine is pure: it takes the data shapes of the ports, never a store; services/ read and write the stores',
            },
          ],
        },
      ],
    },
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
      { group: ['../storage/sqlite/*', '../storage/postgres/*', '../storage/influx/*', '../storage/engine/*', '../storage/sql/*', 'pg', 'better-sqlite3'], message: 'routes use the storage ports; storage/index.ts picks the adapter' },
      { group: ['../app.js'], message: 'routes take what they need from route-context.ts; the app stands above them' },
    ]),
  },
  {
    files: ['packages/sdk/src/**'],
    ignores: ['packages/sdk/src/node/**', '**/*.test.ts'],
    rules: fence([
      notPackages(['server', 'cli', 'dashboard'], 'the sdk imports schema only'),
      {
        group: ['node:*', 'fs', 'fs/*', 'os', 'path', 'child_process', 'http', 'https', 'net', 'perf_hooks', 'typebox', ...drivers],
        message: 'the sdk core is browser-safe: @agentmon/schema only; node: imports live in src/node/',
      },
    ]),
  },
  {
    files: ['packages/sdk/src/node/**'],
    ignores: ['**/*.test.ts'],
    rules: fence([
      notPackages(['server', 'cli', 'dashboard'], 'the sdk imports schema only'),
      { group: ['typebox', ...drivers], message: 'the sdk imports @agentmon/schema and node: built-ins only' },
    ]),
  },
  {
    files: ['packages/cli/src/**'],
    rules: fence([notPackages(['dashboard'], 'the cli reaches the dashboard through the server only')]),
  },
  {
    // @agentmon/sdk/client is what the dashboard bundles: it must stay free of TypeBox.
    files: ['packages/sdk/src/client.ts', 'packages/sdk/src/errors.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@agentmon/schema', allowTypeImports: true, message: 'the REST client (@agentmon/sdk/client) takes types from the schema, not values: browser bundles must not carry TypeBox' }],
          patterns: [{ regex: '^(?!@agentmon/schema$|@agentmon/schema/plain$|\\./(?:errors|client)\\.js$)', message: 'the REST client imports schema types, @agentmon/schema/plain and errors.js only' }],
        },
      ],
    },
  },
  {
    // The web UI: browser code; @agentmon/schema for types only (no TypeBox in the bundle), preact, uplot and the SDK's REST client.
    files: ['packages/dashboard/src/**'],
    ignores: ['packages/dashboard/src/**/*.test.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@agentmon/schema', allowTypeImports: true, message: 'the dashboard takes types from the schema, not values: the bundle must not carry TypeBox' }],
          patterns: [
            {
              regex: '^(?!(?:preact|preact/hooks|uplot|@agentmon/schema|@agentmon/schema/plain|@agentmon/sdk/client)$|\\.{1,2}/)',
              message: 'the dashboard imports preact, uplot, @agentmon/schema types, @agentmon/schema/plain values, the SDK\'s REST client and its own modules only',
            },
          ],
        },
      ],
    },
  },
);
