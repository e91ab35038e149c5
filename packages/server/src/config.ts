/**
 * The server's one typed configuration: defaults < JSON file (AGENTMON_CONFIG) < AGENTMON_* / HOST /
 * PORT environment < flags. Parsed once at start and passed down; nothing else reads the environment.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from 'typebox/value';
import { ModelPrice } from '@agentmon/schema';
import { allowEntryError } from './notify/egress.js';
import { NOTIFY_DEFAULTS } from './notify/notifier.js';

/** Everything the server can be told. */
export interface ServerConfig {
  /** Interface to listen on. */
  host: string;
  port: number;
  /** Folder for the embedded SQLite files and the generated admin token. */
  dataDir: string;
  /** `postgres://...` to keep metadata and series in PostgreSQL; null for embedded SQLite. */
  databaseUrl: string | null;
  /**
   * `http://[user:pass@]host:port/<database>` of an InfluxDB 1.x to keep the series (metrics) in;
   * metadata stays in SQLite or PostgreSQL. null: series beside metadata.
   */
  influxUrl: string | null;
  /** Admin token; null to use (or generate) the one kept in the data dir. */
  adminToken: string | null;
  /** Optional token that may only register agents (for fleets' deploy scripts). */
  registrationToken: string | null;
  /** Read-only tokens, for people who only look: GET routes (not notification targets) and the live stream. */
  viewerTokens: string[];
  /** Optional read-only token for Prometheus: it may only scrape GET /metrics. */
  scrapeToken: string | null;
  /** Largest request body, bytes. */
  bodyLimitBytes: number;
  /** Most values a raw metrics answer (no interval) may hold; a larger one is refused with a 400. */
  queryMaxRawValues: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** An agent is OFFLINE after this many times max(metrics, health-check) interval without data. */
  offlineFactor: number;
  /** How far ahead of the server's clock a payload's timestamp may be, ms; later ones are refused (400). */
  ingestMaxFutureMs: number;
  /** How often the sweeper looks for silent agents and expired data, ms. */
  sweepIntervalMs: number;
  /** How often retention deletes expired metrics, events and resolved alerts, ms. */
  retentionIntervalMs: number;
  /** After this long without a request, a server whose heap grew runs one full collection to give memory back, ms (0: never). */
  idleCollectMs: number;
  /** Webhook URLs (generic JSON) every alert goes to, besides the targets made through the API. */
  webhookUrls: string[];
  /** Slack incoming-webhook URLs every alert goes to. */
  slackWebhookUrls: string[];
  /**
   * Addresses, CIDR ranges and host names notification targets may point at though they are not
   * public (loopback, private, link-local); everything else must resolve to public addresses only.
   */
  notifyAllowedTargets: string[];
  /** Alertmanager alerts endpoints (`http://host:9093/api/v2/alerts`) every alert goes to. */
  alertmanagerUrls: string[];
  /** How long a notification waits to gather other alerts of the same burst into one message, ms. */
  notifyGroupWaitMs: number;
  /** How often an alert that stays active and unacknowledged is sent again, ms. */
  notifyRepeatIntervalMs: number;
  /** Attempts per notification before it is given up (and recorded as a SYSTEM_ERROR event). */
  notifyMaxAttempts: number;
  /** First retry delay, ms; each retry doubles it (with jitter). */
  notifyRetryBaseMs: number;
  /** Folder of the built web dashboard served at `/`. */
  dashboardDir: string;
  /** Requests a second each agent's api_key may make (twice that in a burst); 0: no limit. Past it: 429. */
  rateLimitAgentPerSecond: number;
  /** Requests a second the registration token may make, all its holders together; 0: no limit. */
  rateLimitRegistrationPerSecond: number;
  /** Most live streams (GET /events/stream) one token may hold open; past it: 429. */
  streamMaxClientsPerToken: number;
  /** Bytes a live-stream client may fall behind (its socket not taking them) before it is disconnected. */
  streamClientMaxBehindBytes: number;
  /**
   * Model prices over the ones agentmon ships (PUT /api/v1/prices wins over both): in the config
   * file a list, in AGENTMON_PRICES_FILE the path of a JSON file holding the list.
   */
  prices: ModelPrice[];
}

/** Defaults: a newcomer's `npm start`. */
export const DEFAULT_CONFIG: ServerConfig = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  databaseUrl: null,
  influxUrl: null,
  adminToken: null,
  registrationToken: null,
  viewerTokens: [],
  scrapeToken: null,
  bodyLimitBytes: 10 * 1024 * 1024,
  queryMaxRawValues: 500_000,
  logLevel: 'info',
  offlineFactor: 3,
  ingestMaxFutureMs: 300_000,
  sweepIntervalMs: 5000,
  retentionIntervalMs: 60_000,
  idleCollectMs: 3000,
  webhookUrls: [],
  slackWebhookUrls: [],
  notifyAllowedTargets: [],
  alertmanagerUrls: [],
  notifyGroupWaitMs: NOTIFY_DEFAULTS.groupWaitMs,
  notifyRepeatIntervalMs: NOTIFY_DEFAULTS.repeatIntervalMs,
  notifyMaxAttempts: NOTIFY_DEFAULTS.maxAttempts,
  notifyRetryBaseMs: NOTIFY_DEFAULTS.retryBaseMs,
  dashboardDir: fileURLToPath(new URL('../../dashboard/dist', import.meta.url)),
  rateLimitAgentPerSecond: 0,
  rateLimitRegistrationPerSecond: 0,
  streamMaxClientsPerToken: 20,
  streamClientMaxBehindBytes: 4 * 1024 * 1024,
  prices: [],
};

/** A configuration value that cannot be used; names its source so the person can fix it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type Source = Record<string, unknown>;

function integer(source: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${source} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function number(source: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`${source} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function text(source: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${source} must be a non-empty string`);
  return value.trim();
}

function databaseUrl(source: string, value: unknown): string | null {
  if (value === null || value === '') return null;
  const url = text(source, value);
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError(`${source} must be a postgres:// URL (leave it unset for the embedded SQLite store)`);
  }
  return url;
}

function influxUrl(source: string, value: unknown): string | null {
  if (value === null || value === '') return null;
  const url = text(source, value);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${source} must be an http(s):// URL of InfluxDB 1.x naming the database, e.g. http://127.0.0.1:8086/agentmon`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`${source} must be an http(s):// URL of InfluxDB 1.x (leave it unset to keep metrics beside metadata)`);
  }
  const database = parsed.pathname.replace(/^\/+|\/+$/g, '');
  if (database === '' || database.includes('/')) {
    throw new ConfigError(`${source}: the URL's path must name the database, e.g. http://127.0.0.1:8086/agentmon`);
  }
  if (parsed.search !== '' || parsed.hash !== '') throw new ConfigError(`${source}: the URL takes no query or fragment`);
  return url;
}

function urls(source: string, value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (list === null) throw new ConfigError(`${source} must be a comma-separated list of http(s) URLs`);
  return list
    .map((u) => (typeof u === 'string' ? u.trim() : ''))
    .filter((u) => u !== '')
    .map((u) => {
      try {
        const parsed = new URL(u);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
      } catch {
        throw new ConfigError(`${source}: ${JSON.stringify(u)} is not an http(s) URL`);
      }
      return u;
    });
}

function allowEntries(source: string, value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (list === null) throw new ConfigError(`${source} must be a comma-separated list of addresses, CIDR ranges and host names`);
  return list
    .map((e) => (typeof e === 'string' ? e.trim() : ''))
    .filter((e) => e !== '')
    .map((e) => {
      const error = allowEntryError(e);
      if (error) throw new ConfigError(`${source}: ${error}`);
      return e;
    });
}

/** Alertmanager's API v2 alerts path, which every Alertmanager URL must name. */
export const ALERTMANAGER_PATH = '/api/v2/alerts';

/** True when `url`'s path is Alertmanager's alerts endpoint (a bare base URL would get 404s). */
export function isAlertmanagerUrl(url: string): boolean {
  try {
    return new URL(url).pathname.replace(/\/+$/, '').endsWith(ALERTMANAGER_PATH);
  } catch {
    return false;
  }
}

function alertmanagerUrls(source: string, value: unknown): string[] {
  const list = urls(source, value);
  const bad = list.find((u) => !isAlertmanagerUrl(u));
  if (bad !== undefined) throw new ConfigError(`${source}: ${JSON.stringify(bad)} must end with ${ALERTMANAGER_PATH}, e.g. http://alertmanager:9093${ALERTMANAGER_PATH}`);
  return list;
}

function secret(source: string, value: unknown): string | null {
  if (value === null || value === '') return null;
  const token = text(source, value);
  if (token.length < 16) throw new ConfigError(`${source} must be at least 16 characters`);
  return token;
}

function secrets(source: string, value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (list === null) throw new ConfigError(`${source} must be a comma-separated list of tokens`);
  return list.filter((t) => !(typeof t === 'string' && t.trim() === '')).map((t, i) => secret(`${source} (token ${i + 1})`, t) as string);
}

/** A price list, given as a list or as the path of a JSON file holding one; each entry checked. */
function prices(source: string, value: unknown): ModelPrice[] {
  let list = value;
  let where = source;
  if (typeof value === 'string') {
    where = `${source} (${value})`;
    try {
      list = JSON.parse(readFileSync(resolve(value), 'utf8'));
    } catch (err) {
      throw new ConfigError(`${where}: ${(err as Error).message}`);
    }
  }
  if (!Array.isArray(list)) throw new ConfigError(`${where} must hold a JSON list of {model, input_usd_per_million, output_usd_per_million, as_of}`);
  list.forEach((entry, i) => {
    const first = Value.Errors(ModelPrice, entry)[0];
    if (first) throw new ConfigError(`${where}[${i}]${first.instancePath.replace(/\//g, '.')}: ${first.message}`);
  });
  return list as ModelPrice[];
}

/** Applies one layer of settings (file, env or flags), each key checked and named in errors. */
function apply(config: ServerConfig, layer: Partial<Record<keyof ServerConfig, unknown>>, origin: (key: string) => string): ServerConfig {
  const next = { ...config };
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    const src = origin(key);
    switch (key as keyof ServerConfig) {
      case 'host': next.host = text(src, value); break;
      case 'port': next.port = integer(src, value, 0, 65535); break;
      case 'dataDir': next.dataDir = text(src, value); break;
      case 'databaseUrl': next.databaseUrl = databaseUrl(src, value); break;
      case 'influxUrl': next.influxUrl = influxUrl(src, value); break;
      case 'adminToken': next.adminToken = secret(src, value); break;
      case 'registrationToken': next.registrationToken = secret(src, value); break;
      case 'viewerTokens': next.viewerTokens = secrets(src, value); break;
      case 'scrapeToken': next.scrapeToken = secret(src, value); break;
      case 'bodyLimitBytes': next.bodyLimitBytes = integer(src, value, 1024, 1024 * 1024 * 1024); break;
      case 'queryMaxRawValues': next.queryMaxRawValues = integer(src, value, 1, 100_000_000); break;
      case 'offlineFactor': next.offlineFactor = number(src, value, 1, 100); break;
      case 'ingestMaxFutureMs': next.ingestMaxFutureMs = integer(src, value, 0, 86_400_000); break;
      case 'sweepIntervalMs': next.sweepIntervalMs = integer(src, value, 100, 3_600_000); break;
      case 'retentionIntervalMs': next.retentionIntervalMs = integer(src, value, 1000, 86_400_000); break;
      case 'idleCollectMs': next.idleCollectMs = integer(src, value, 0, 3_600_000); break;
      case 'webhookUrls': next.webhookUrls = urls(src, value); break;
      case 'slackWebhookUrls': next.slackWebhookUrls = urls(src, value); break;
      case 'notifyAllowedTargets': next.notifyAllowedTargets = allowEntries(src, value); break;
      case 'alertmanagerUrls': next.alertmanagerUrls = alertmanagerUrls(src, value); break;
      case 'notifyGroupWaitMs': next.notifyGroupWaitMs = integer(src, value, 0, 600_000); break;
      case 'notifyRepeatIntervalMs': next.notifyRepeatIntervalMs = integer(src, value, 1000, 7 * 86_400_000); break;
      case 'notifyMaxAttempts': next.notifyMaxAttempts = integer(src, value, 1, 20); break;
      case 'notifyRetryBaseMs': next.notifyRetryBaseMs = integer(src, value, 10, 600_000); break;
      case 'dashboardDir': next.dashboardDir = text(src, value); break;
      case 'rateLimitAgentPerSecond': next.rateLimitAgentPerSecond = number(src, value, 0, 1_000_000); break;
      case 'rateLimitRegistrationPerSecond': next.rateLimitRegistrationPerSecond = number(src, value, 0, 1_000_000); break;
      case 'streamMaxClientsPerToken': next.streamMaxClientsPerToken = integer(src, value, 1, 100_000); break;
      case 'streamClientMaxBehindBytes': next.streamClientMaxBehindBytes = integer(src, value, 1024, 1024 * 1024 * 1024); break;
      case 'prices': next.prices = prices(src, value); break;
      case 'logLevel': {
        const level = text(src, value);
        if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError(`${src} must be one of ${LOG_LEVELS.join(', ')}`);
        next.logLevel = level as ServerConfig['logLevel'];
        break;
      }
      default:
        throw new ConfigError(`${src}: unknown setting`);
    }
  }
  return next;
}

/** Environment variable of each setting. */
export const ENV_NAMES: Record<keyof ServerConfig, string> = {
  host: 'HOST',
  port: 'PORT',
  dataDir: 'AGENTMON_DATA_DIR',
  databaseUrl: 'AGENTMON_DATABASE_URL',
  influxUrl: 'AGENTMON_INFLUX_URL',
  adminToken: 'AGENTMON_ADMIN_TOKEN',
  registrationToken: 'AGENTMON_REGISTRATION_TOKEN',
  viewerTokens: 'AGENTMON_VIEWER_TOKENS',
  scrapeToken: 'AGENTMON_SCRAPE_TOKEN',
  bodyLimitBytes: 'AGENTMON_BODY_LIMIT_BYTES',
  queryMaxRawValues: 'AGENTMON_QUERY_MAX_RAW_VALUES',
  logLevel: 'AGENTMON_LOG_LEVEL',
  offlineFactor: 'AGENTMON_OFFLINE_FACTOR',
  ingestMaxFutureMs: 'AGENTMON_INGEST_MAX_FUTURE_MS',
  sweepIntervalMs: 'AGENTMON_SWEEP_INTERVAL_MS',
  retentionIntervalMs: 'AGENTMON_RETENTION_INTERVAL_MS',
  idleCollectMs: 'AGENTMON_IDLE_COLLECT_MS',
  webhookUrls: 'AGENTMON_WEBHOOK_URLS',
  slackWebhookUrls: 'AGENTMON_SLACK_WEBHOOK_URLS',
  notifyAllowedTargets: 'AGENTMON_NOTIFY_ALLOWED_TARGETS',
  alertmanagerUrls: 'AGENTMON_ALERTMANAGER_URLS',
  notifyGroupWaitMs: 'AGENTMON_NOTIFY_GROUP_WAIT_MS',
  notifyRepeatIntervalMs: 'AGENTMON_NOTIFY_REPEAT_INTERVAL_MS',
  notifyMaxAttempts: 'AGENTMON_NOTIFY_MAX_ATTEMPTS',
  notifyRetryBaseMs: 'AGENTMON_NOTIFY_RETRY_BASE_MS',
  dashboardDir: 'AGENTMON_DASHBOARD_DIR',
  rateLimitAgentPerSecond: 'AGENTMON_RATE_LIMIT_AGENT_PER_SECOND',
  rateLimitRegistrationPerSecond: 'AGENTMON_RATE_LIMIT_REGISTRATION_PER_SECOND',
  streamMaxClientsPerToken: 'AGENTMON_STREAM_MAX_CLIENTS_PER_TOKEN',
  streamClientMaxBehindBytes: 'AGENTMON_STREAM_CLIENT_MAX_BEHIND_BYTES',
  prices: 'AGENTMON_PRICES_FILE',
};

/**
 * Builds the configuration from its layers. `env` is usually `process.env`; `flags` come from the
 * CLI. A bad value throws ConfigError naming where it came from.
 */
export function loadConfig(env: NodeJS.ProcessEnv = {}, flags: Partial<ServerConfig> = {}): ServerConfig {
  let config = { ...DEFAULT_CONFIG };
  const file = env.AGENTMON_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(resolve(file), 'utf8'));
    } catch (err) {
      throw new ConfigError(`AGENTMON_CONFIG (${file}): ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`AGENTMON_CONFIG (${file}) must hold a JSON object`);
    }
    config = apply(config, parsed as Source, (key) => `${file}: ${key}`);
  }
  const fromEnv: Source = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    if (env[name] !== undefined) fromEnv[key] = env[name];
  }
  config = apply(config, fromEnv, (key) => ENV_NAMES[key as keyof ServerConfig]);
  config = apply(config, flags, (key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  return config;
}
