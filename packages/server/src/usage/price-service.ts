/**
 * The price table the server prices tokens with: agentmon's defaults, the prices file, and the
 * prices set through the API (kept in the metadata store, so they survive restarts and every
 * instance on the same store uses them: each re-reads them every `refreshMs`).
 */
import type { ModelPrice, PriceView } from '@agentmon/schema';
import { PriceBook, defaultPrices, priceLayer } from '../engine/prices.js';
import type { SettingStore } from '../storage/ports.js';

/** The settings key of the prices set through the API. */
export const PRICES_SETTING = 'model_prices';

/** Options of the price service. */
export interface PriceServiceOptions {
  metadata: SettingStore;
  /** Prices from the config (file or AGENTMON_PRICES_FILE). */
  filePrices: readonly ModelPrice[];
  clock: () => number;
  /** How often prices set on another instance are picked up, ms (0: never). */
  refreshMs?: number;
  /** Hears a failed refresh (the table in use stays as it was). */
  onError?: (err: unknown) => void;
}

const keyOf = (model: string) => model.trim().toLowerCase();

/** Holds the table; routes change it, the monitor reads it. */
export class PriceService {
  private api: ModelPrice[] = [];
  private book: PriceBook;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: PriceServiceOptions) {
    this.book = this.build();
  }

  /** The table in use. */
  current(): PriceBook {
    return this.book;
  }

  /** Reads the API prices from the store and rebuilds the table. */
  async load(): Promise<void> {
    this.api = (await this.options.metadata.getSetting<ModelPrice[]>(PRICES_SETTING)) ?? [];
    this.book = this.build();
  }

  /** Starts picking up prices set elsewhere. */
  start(): void {
    const every = this.options.refreshMs ?? 10_000;
    if (this.timer || every <= 0) return;
    this.timer = setInterval(() => {
      this.load().catch((err: unknown) => this.options.onError?.(err));
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Sets a model's price (replacing one set before); a price without a date is dated today. */
  async set(price: ModelPrice): Promise<PriceView> {
    await this.load();
    const dated: ModelPrice = { ...price, model: price.model.trim(), as_of: price.as_of ?? this.today() };
    const next = this.api.filter((p) => keyOf(p.model) !== keyOf(dated.model));
    next.push(dated);
    await this.options.metadata.putSetting(PRICES_SETTING, next);
    this.api = next;
    this.book = this.build();
    return priceLayer([dated], 'api', this.today())[0] as PriceView;
  }

  /** Drops a price set through the API; false when there was none (defaults and file prices stay). */
  async remove(model: string): Promise<boolean> {
    await this.load();
    const next = this.api.filter((p) => keyOf(p.model) !== keyOf(model));
    if (next.length === this.api.length) return false;
    await this.options.metadata.putSetting(PRICES_SETTING, next);
    this.api = next;
    this.book = this.build();
    return true;
  }

  private today(): string {
    return new Date(this.options.clock()).toISOString().slice(0, 10);
  }

  private build(): PriceBook {
    const today = this.today();
    return new PriceBook([defaultPrices(), priceLayer(this.options.filePrices, 'file', today), priceLayer(this.api, 'api', today)]);
  }
}
