/**
 * The agent's session with agentmon: registration with the registration token, the api_key it
 * gives, and getting a new one when the server refuses the old. The key may be kept between runs
 * (a KeyStore): the server lets the registration token re-register an agent that is reporting only
 * when the caller shows its current key, so a restarted process that kept its key is back at once,
 * and one that did not waits until its previous run counts as gone (409 AGENT_IN_USE, Retry-After).
 */
import type { AgentInfoInput, RegisterResponse } from '@agentmon/schema';
import type { AgentmonClient } from './client.js';
import { isAgentmonError } from './errors.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { later, type Timer } from './timing.js';

/** What is kept of a registration between runs. */
export interface StoredKey {
  agent_id: string;
  api_key: string;
}

/** Where the agent's key is kept between runs (a file in Node: `keyFile`). */
export interface KeyStore {
  /** The kept key, or null when there is none (a store that cannot be read answers null and says why through `load`'s error). */
  load(): StoredKey | null | Promise<StoredKey | null>;
  save(key: StoredKey): void | Promise<void>;
}

/** What the session tells the reporter. */
export interface SessionHooks {
  /** True while the reporter runs (registration retries stop when it does not). */
  active(): boolean;
  /** A registration succeeded. */
  registered(answer: RegisterResponse): void;
  /** A registration failed (`willRetry`: another attempt is scheduled), or the key store failed. */
  failed(err: unknown, willRetry: boolean): void;
  log(level: 'info' | 'warn', message: string, data?: Record<string, unknown>): void;
}

/** Options of a session. */
export interface SessionOptions {
  /** A client holding the registration token. */
  registrar: AgentmonClient;
  identity: AgentInfoInput;
  /** An id the host fixed (kept even when it clashes), or none (the server chooses). */
  fixedId?: string | undefined;
  keyStore?: KeyStore | null | undefined;
  retry: BackoffOptions;
  hooks: SessionHooks;
}

/** Registration and the agent's key. */
export class AgentSession {
  private id: string | null;
  private key: string | null = null;
  private agentClient: AgentmonClient | null = null;
  private registering: Promise<boolean> | null = null;
  private retryTimer: Timer | null = null;
  private attempt = 0;
  private storeRead = false;
  /** Registrations that succeeded. */
  registrations = 0;

  constructor(private readonly options: SessionOptions) {
    this.id = options.fixedId ?? null;
  }

  /** The agent id, once registered (or the fixed one, or the kept one). */
  get agentId(): string | null {
    return this.id;
  }

  /** The current api_key, or null before registration or after it was refused. */
  get apiKey(): string | null {
    return this.key;
  }

  /** A client holding the agent's key, or null when there is none. */
  get client(): AgentmonClient | null {
    return this.agentClient;
  }

  /** Registers (once at a time: concurrent callers share the attempt). True when it worked. */
  register(): Promise<boolean> {
    this.registering ??= this.registerOnce().finally(() => {
      this.registering = null;
    });
    return this.registering;
  }

  /** After a 401/403/404 with `keyUsed`: registers again, unless that already happened meanwhile. */
  reauthenticate(keyUsed: string | null): Promise<boolean> {
    if (keyUsed !== null && keyUsed !== this.key && this.key !== null) return Promise.resolve(true);
    this.options.hooks.log('warn', 'api_key refused; registering again');
    this.key = null;
    this.agentClient = null;
    return this.register();
  }

  /** Cancels a scheduled retry (the reporter stopped). */
  cancel(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async registerOnce(): Promise<boolean> {
    const { registrar, identity, hooks } = this.options;
    const shown = this.key ?? (await this.keptKey());
    const info: AgentInfoInput = { ...identity, ...(this.id ? { id: this.id } : {}) };
    try {
      const answer = await registrar.registerAgent(info, { agentKey: shown });
      this.id = answer.agent_id;
      this.key = answer.api_key;
      this.agentClient = registrar.withToken(answer.api_key);
      this.attempt = 0;
      this.registrations += 1;
      this.cancel();
      await this.keep({ agent_id: answer.agent_id, api_key: answer.api_key });
      hooks.log('info', 'registered', { agent_id: answer.agent_id, status: answer.status });
      hooks.registered(answer);
      return true;
    } catch (err) {
      // The remembered id now clashes (the agent was deleted and its name taken by a new one): let the server choose.
      if (isAgentmonError(err) && err.status === 409 && err.code !== 'AGENT_IN_USE' && info.id !== undefined && this.options.fixedId === undefined) {
        this.id = null;
        return this.registerOnce();
      }
      const willRetry = hooks.active();
      hooks.failed(err, willRetry);
      // Another process reports as this agent (or this one restarted without its key): the server says when it counts as gone.
      const waitMs = isAgentmonError(err) && err.code === 'AGENT_IN_USE' ? err.retryAfterMs : null;
      if (willRetry) this.scheduleRetry(waitMs);
      return false;
    }
  }

  private scheduleRetry(atLeastMs: number | null): void {
    if (this.retryTimer) return;
    const delay = Math.max(atLeastMs ?? 0, backoffDelay(this.attempt++, this.options.retry));
    this.retryTimer = later(() => {
      this.retryTimer = null;
      if (this.options.hooks.active()) void this.register();
    }, delay);
  }

  /** The kept key of this agent, read once; a store that fails is told about and treated as empty. */
  private async keptKey(): Promise<string | null> {
    const store = this.options.keyStore;
    if (!store || this.storeRead) return null;
    this.storeRead = true;
    try {
      const kept = await store.load();
      if (!kept) return null;
      // A key of another agent than the one the host fixed is not this agent's.
      if (this.options.fixedId !== undefined && kept.agent_id !== this.options.fixedId) return null;
      this.id ??= kept.agent_id;
      return kept.api_key;
    } catch (err) {
      this.options.hooks.failed(err, false);
      return null;
    }
  }

  private async keep(key: StoredKey): Promise<void> {
    const store = this.options.keyStore;
    if (!store) return;
    try {
      await store.save(key);
    } catch (err) {
      this.options.hooks.failed(err, false);
    }
  }
}
