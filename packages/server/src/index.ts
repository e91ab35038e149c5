/** @agentmon/server: the app, its configuration, and the stores, for the CLI and for tests. */
export { buildApp, type App, type AppDeps } from './app.js';
export { loadConfig, ConfigError, DEFAULT_CONFIG, ENV_NAMES, type ServerConfig } from './config.js';
export { startServer, type RunningServer } from './main.js';
export { openStores, redactUrl, type Stores, type StorageOptions } from './storage/index.js';
export { resolveAdminToken, rotateAdminToken, hashToken } from './auth.js';
export type { MetadataStore, SeriesStore } from './storage/ports.js';
