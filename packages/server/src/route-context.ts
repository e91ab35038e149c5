/**
 * What every route plugin receives, apart from the app that builds them: routes import this, never
 * app.ts, so the app stands above its routes (app -> routes -> context) and not in a loop with them.
 */
import type { ServerConfig } from './config.js';
import type { Monitor } from './services/monitor.js';
import type { LiveBus } from './live/bus.js';
import type { AgentService } from './services/agents.js';
import type { MetadataStore, SeriesStore } from './storage/ports.js';

/** What every route plugin receives. */
export interface RouteContext {
  config: ServerConfig;
  metadata: MetadataStore;
  series: SeriesStore;
  clock: () => number;
  /** Drives agents through the engine: every ingest route goes through it. */
  monitor: Monitor;
  /** The live stream's bus: routes that write events outside the monitor publish them here. */
  live: LiveBus;
  /** The agents' use cases (register, update, deregister). */
  agents: AgentService;
}
