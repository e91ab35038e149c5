/**
 * The price table and what it makes of tokens: which price a reported model name takes, and what a
 * payload's usage cost. Three layers, the later winning per model: the prices agentmon ships, the
 * prices file, and prices set through the API.
 */
import type { ModelPrice, ModelUsage, PriceSource, PriceView } from '@agentmon/schema';
import { DEFAULT_PRICES, PRICES_AS_OF } from './default-prices.js';

/** Characters that end a model family's name inside a longer name (`gpt-4o` in `gpt-4o-2024-08-06`). */
const VARIANT_SEPARATORS = new Set(['-', '@', ':']);

/** Most model names whose match is remembered (agents report few; a flood of invented names is not kept). */
const MEMO_MAX = 10_000;

/** The names to look a reported model up under, most specific first. */
function lookupNames(model: string): string[] {
  const names = [model.trim().toLowerCase()];
  const last = names[0] as string;
  // A provider or path prefix: `openai/gpt-4o`, `models/gemini-1.5-pro`.
  const slash = last.lastIndexOf('/');
  const base = slash >= 0 ? last.slice(slash + 1) : last;
  if (base !== last) names.push(base);
  // Cloud prefixes of the form `vendor.` (Bedrock: `us.anthropic.claude-3-5-sonnet-20240620-v1:0`).
  const vendor = /^(?:[a-z]+\.)+/.exec(base);
  if (vendor) names.push(base.slice(vendor[0].length));
  return names;
}

/** The prices agentmon ships, as a layer. */
export function defaultPrices(): PriceView[] {
  return Object.entries(DEFAULT_PRICES).map(([model, [input, output]]) => ({
    model,
    input_usd_per_million: input,
    output_usd_per_million: output,
    as_of: PRICES_AS_OF,
    source: 'default' as const,
  }));
}

/** Prices as set (file or API), as a layer of `source`; a price without a date is dated `today`. */
export function priceLayer(prices: readonly ModelPrice[], source: PriceSource, today: string): PriceView[] {
  return prices.map((p) => ({
    model: p.model,
    input_usd_per_million: p.input_usd_per_million,
    output_usd_per_million: p.output_usd_per_million,
    as_of: p.as_of ?? today,
    source,
  }));
}

/** A price table, immutable: a change builds a new one. */
export class PriceBook {
  private readonly byName = new Map<string, PriceView>();
  /** Table names, longest first, for the family match. */
  private readonly names: string[];
  private readonly memo = new Map<string, PriceView | null>();

  /** Layers in rising precedence: a later layer's price of a model replaces an earlier one's. */
  constructor(layers: readonly (readonly PriceView[])[]) {
    for (const layer of layers) for (const p of layer) this.byName.set(p.model.trim().toLowerCase(), p);
    this.names = [...this.byName.keys()].sort((a, b) => b.length - a.length);
  }

  /** Every price, by model name. */
  table(): PriceView[] {
    return [...this.byName.values()].sort((a, b) => a.model.localeCompare(b.model));
  }

  /**
   * The price of a reported model: its own entry, else the longest table name it extends at a
   * separator (`gpt-4o-mini-2024-07-18` takes `gpt-4o-mini`, never `gpt-4o`; `gpt-4.1` never takes
   * `gpt-4`), after dropping a provider path or cloud prefix. Null when none fits.
   */
  find(model: string): PriceView | null {
    const known = this.memo.get(model);
    if (known !== undefined) return known;
    const found = this.match(model);
    if (this.memo.size >= MEMO_MAX) this.memo.clear();
    this.memo.set(model, found);
    return found;
  }

  private match(model: string): PriceView | null {
    const candidates = lookupNames(model);
    for (const name of candidates) {
      const exact = this.byName.get(name);
      if (exact) return exact;
    }
    for (const name of candidates) {
      for (const key of this.names) {
        if (key.length < name.length && name.startsWith(key) && VARIANT_SEPARATORS.has(name.charAt(key.length))) {
          return this.byName.get(key) as PriceView;
        }
      }
    }
    return null;
  }

  /**
   * What one usage entry cost in USD: the agent's own figure when it gives one, else its tokens at
   * the table's price; null when it gives none and the model has no price.
   */
  cost(usage: Pick<ModelUsage, 'model' | 'input_tokens' | 'output_tokens' | 'cost_usd'>): number | null {
    if (usage.cost_usd !== undefined) return usage.cost_usd;
    const price = this.find(usage.model);
    if (!price) return null;
    return ((usage.input_tokens ?? 0) * price.input_usd_per_million + (usage.output_tokens ?? 0) * price.output_usd_per_million) / 1_000_000;
  }
}
