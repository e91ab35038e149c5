/** Messages between bench/run.ts and the server child (bench/server.mjs). */

/** What the child serves from. */
export interface ServerSpec {
  dataDir: string;
  databaseUrl: string | null;
  schema: string | null;
  /** `http://host:port/<database>` of an InfluxDB 1.x for the series (metadata stays in SQLite); null: series beside metadata. */
  influxUrl: string | null;
  adminToken: string;
}

/** Parent to child. */
export type ParentMessage = { type: 'stats' } | { type: 'stop' };

/** Child to parent. */
export type ChildMessage =
  /** notifyGroupWaitMs: the notifier's group wait in effect (the webhook latency includes it). */
  | { type: 'ready'; port: number; location: string; notifyGroupWaitMs: number }
  | { type: 'failed'; message: string }
  /** elu: the main thread's event loop utilisation so far (its busy time, apart from worker threads). */
  | { type: 'stats'; memory: NodeJS.MemoryUsage; cpu: NodeJS.CpuUsage; elu: { active: number; idle: number } }
  | { type: 'stopped' };
