/**
 * LLM usage and spend: what a payload says each model consumed (`model_usage`), the price table
 * that turns tokens into dollars, spend budgets, and the usage report the API answers. A payload's
 * usage becomes custom series (`custom.gen_ai.*`), so every series store keeps it without a schema
 * of its own and the metrics query charts it like any other series.
 */
import { Type, type Static } from 'typebox';
import { DateTime, Nullable, StringEnum } from './common.js';

const opt = Type.Optional;

/** Bounds of a payload's usage list. */
export const USAGE_LIMITS = {
  /** Models per payload. */
  models: 50,
  /** Characters of a model name. */
  model: 200,
  /** Characters of a provider name. */
  provider: 100,
} as const;

/** What one model consumed over the payload's interval. */
export const ModelUsage = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: USAGE_LIMITS.model, description: 'The model as the provider names it (gpt-4o-2024-08-06, claude-sonnet-4-20250514)' }),
    provider: opt(Type.String({ maxLength: USAGE_LIMITS.provider, description: 'openai, anthropic, aws.bedrock, ... (informative)' })),
    input_tokens: opt(Type.Integer({ minimum: 0, default: 0, description: 'Prompt tokens sent to the model over the interval' })),
    output_tokens: opt(Type.Integer({ minimum: 0, default: 0, description: 'Completion tokens the model returned over the interval' })),
    calls: opt(Type.Integer({ minimum: 0, description: 'Model calls over the interval' })),
    cost_usd: opt(
      Type.Number({
        minimum: 0,
        description: 'What these calls cost, when the agent knows it (a provider that reports cost); otherwise agentmon prices the tokens with its price table',
      }),
    ),
  },
  { additionalProperties: false, description: 'Tokens and calls of one model over the payload interval' },
);
/** What one model consumed over the payload's interval. */
export type ModelUsage = Static<typeof ModelUsage>;

/** The optional `model_usage` field of AgentMetrics (a list, one entry per model). */
export const ModelUsageList = Type.Array(ModelUsage, {
  maxItems: USAGE_LIMITS.models,
  description: 'Tokens, calls and cost by model over the interval (agentmon extension; tokens_processed stays the total)',
});

// ---------------------------------------------------------------- series names

/** Custom-metric key prefix of every usage series (the OpenTelemetry GenAI namespace). */
export const GEN_AI_KEY_PREFIX = 'gen_ai.';

/** Per-agent usage totals, as custom-metric keys (queried as `custom.<key>`). */
export const USAGE_TOTAL_KEYS = {
  input_tokens: 'gen_ai.input_tokens',
  output_tokens: 'gen_ai.output_tokens',
  calls: 'gen_ai.calls',
  cost_usd: 'gen_ai.cost_usd',
} as const;

/** The figures kept per model, in the order a report lists them. */
export const USAGE_FIELDS = ['input_tokens', 'output_tokens', 'calls', 'cost_usd'] as const;
/** One of USAGE_FIELDS. */
export type UsageField = (typeof USAGE_FIELDS)[number];

const MODEL_KEY_PREFIX = 'gen_ai.model.';
/** Longest model part of a series key (longer names are cut, so keys stay bounded). */
export const MODEL_KEY_MAX = 120;

/**
 * The model part of a series key: characters other than letters, digits, `_`, `-`, `.`, `:` and
 * `/` become `_`, so `gpt-4.1`, `claude-3.5-sonnet` and `meta-llama/Llama-3-70b` stay readable.
 */
export function modelKey(model: string): string {
  return model.replace(/[^A-Za-z0-9_\-.:/]/g, '_').slice(0, MODEL_KEY_MAX) || '_';
}

/** The custom-metric key of a model's figure: `gen_ai.model.<model>.<field>`. */
export function modelUsageKey(model: string, field: UsageField): string {
  return `${MODEL_KEY_PREFIX}${modelKey(model)}.${field}`;
}

/** The model and figure of a per-model usage key, or null for any other key. */
export function parseModelUsageKey(key: string): { model: string; field: UsageField } | null {
  if (!key.startsWith(MODEL_KEY_PREFIX)) return null;
  for (const field of USAGE_FIELDS) {
    const suffix = `.${field}`;
    if (key.endsWith(suffix) && key.length > MODEL_KEY_PREFIX.length + suffix.length) {
      return { model: key.slice(MODEL_KEY_PREFIX.length, -suffix.length), field };
    }
  }
  return null;
}

// ---------------------------------------------------------------- prices

/** Where a price comes from: shipped with agentmon, the prices file, or set through the API. */
export const PRICE_SOURCES = ['default', 'file', 'api'] as const;
/** One of PRICE_SOURCES. */
export type PriceSource = (typeof PRICE_SOURCES)[number];

/** A date, `YYYY-MM-DD`. */
export const DATE_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$';

const priceFields = {
  input_usd_per_million: Type.Number({ minimum: 0, maximum: 1_000_000, description: 'USD per million input (prompt) tokens' }),
  output_usd_per_million: Type.Number({ minimum: 0, maximum: 1_000_000, description: 'USD per million output (completion) tokens' }),
};

/** A model's price, as set through the API or the prices file. */
export const ModelPrice = Type.Object(
  {
    model: Type.String({
      minLength: 1,
      maxLength: USAGE_LIMITS.model,
      description: 'Model name; also prices its dated and suffixed variants (gpt-4o prices gpt-4o-2024-08-06)',
    }),
    ...priceFields,
    as_of: opt(Type.String({ pattern: DATE_PATTERN, description: 'The date the price was taken (default: today)' })),
  },
  { additionalProperties: false, description: 'The price of one model' },
);
/** A model's price, as set. */
export type ModelPrice = Static<typeof ModelPrice>;

/** A price in the table the server uses. */
export const PriceView = Type.Object({
  model: Type.String(),
  ...priceFields,
  as_of: Type.String({ pattern: DATE_PATTERN }),
  source: StringEnum(PRICE_SOURCES, { description: 'default: shipped with agentmon; file: AGENTMON_PRICES_FILE; api: PUT /api/v1/prices' }),
});
/** A price in the table the server uses. */
export type PriceView = Static<typeof PriceView>;

/** The price table. */
export const PriceTable = Type.Object({
  prices: Type.Array(PriceView),
});
/** The price table. */
export type PriceTable = Static<typeof PriceTable>;

/** DELETE /api/v1/prices: which override to drop. */
export const PriceDeleteQuery = Type.Object({
  model: Type.String({ minLength: 1, maxLength: USAGE_LIMITS.model }),
});
/** DELETE /api/v1/prices query. */
export type PriceDeleteQuery = Static<typeof PriceDeleteQuery>;

// ---------------------------------------------------------------- budgets

/** How long a budget's spend accumulates before it starts again (UTC days and months). */
export const BUDGET_PERIODS = ['day', 'month'] as const;
/** One of BUDGET_PERIODS. */
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** A new spend budget: a limit on one agent's, one environment's or the whole fleet's spend. */
export const BudgetCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'What the alert calls it' }),
    period: StringEnum(BUDGET_PERIODS, { description: 'day: spend since 00:00 UTC; month: since the 1st, 00:00 UTC' }),
    limit_usd: Type.Number({ exclusiveMinimum: 0, maximum: 1e12, description: 'Spend that fires a critical alert' }),
    warning_ratio: opt(
      Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.8, description: 'Share of the limit that fires a warning first (1: no warning)' }),
    ),
    agent_id: opt(Type.String({ minLength: 1, maxLength: 255, description: "One agent's spend (id or name)" })),
    environment: opt(Type.String({ minLength: 1, maxLength: 100, description: "One environment's spend" })),
  },
  { additionalProperties: false, description: 'A spend limit; with neither agent_id nor environment it covers the whole fleet' },
);
/** A new spend budget. */
export type BudgetCreate = Static<typeof BudgetCreate>;

/** Where a budget stands now. */
export const BUDGET_STATES = ['ok', 'warning', 'exceeded'] as const;
/** One of BUDGET_STATES. */
export type BudgetState = (typeof BUDGET_STATES)[number];

/** A budget as stored. */
export const Budget = Type.Object({
  id: Type.String(),
  name: Type.String(),
  period: StringEnum(BUDGET_PERIODS),
  limit_usd: Type.Number(),
  warning_ratio: Type.Number(),
  agent_id: Nullable(Type.String()),
  environment: Nullable(Type.String()),
  created_at: DateTime(),
});
/** A budget as stored. */
export type Budget = Static<typeof Budget>;

/** A budget with its spend in the current period. */
export const BudgetStatus = Type.Object({
  ...Budget.properties,
  period_start: DateTime({ description: 'Start of the current period (UTC)' }),
  spent_usd: Type.Number({ description: 'Spend since period_start' }),
  ratio: Type.Number({ description: 'spent_usd / limit_usd' }),
  state: StringEnum(BUDGET_STATES),
});
/** A budget with its spend in the current period. */
export type BudgetStatus = Static<typeof BudgetStatus>;

/** GET /api/v1/budgets. */
export const BudgetList = Type.Object({ budgets: Type.Array(BudgetStatus) });
/** GET /api/v1/budgets. */
export type BudgetList = Static<typeof BudgetList>;

// ---------------------------------------------------------------- usage report

/** How a usage report groups its rows. */
export const USAGE_GROUP_BY = ['model', 'agent', 'agent_model'] as const;
/** One of USAGE_GROUP_BY. */
export type UsageGroupBy = (typeof USAGE_GROUP_BY)[number];

/** GET /api/v1/usage query. */
export const UsageQuery = Type.Object({
  start_time: Type.String({ description: 'ISO 8601, epoch milliseconds, or now-relative (now-24h)' }),
  end_time: opt(Type.String({ description: 'Default: now' })),
  group_by: opt(StringEnum(USAGE_GROUP_BY, { default: 'model' })),
  agent: opt(Type.String({ minLength: 1, maxLength: 255, description: 'Only this agent (id, name or id prefix)' })),
  environment: opt(Type.String({ minLength: 1, maxLength: 100 })),
  model: opt(Type.String({ minLength: 1, maxLength: USAGE_LIMITS.model, description: 'Only this model' })),
});
/** GET /api/v1/usage query. */
export type UsageQuery = Static<typeof UsageQuery>;

const usageFigures = {
  input_tokens: Type.Number(),
  output_tokens: Type.Number(),
  calls: Type.Number(),
  cost_usd: Type.Number(),
};

/** One row of a usage report. */
export const UsageRow = Type.Object({
  agent_id: Nullable(Type.String()),
  agent_name: Nullable(Type.String()),
  model: Nullable(Type.String()),
  ...usageFigures,
  priced: Type.Boolean({ description: 'false: the price table has no price for the model (its cost counts 0)' }),
  tasks_completed: Nullable(Type.Number({ description: "The agent's tasks completed in range (agent rows)" })),
  cost_per_task_usd: Nullable(Type.Number()),
});
/** One row of a usage report. */
export type UsageRow = Static<typeof UsageRow>;

/** GET /api/v1/usage answer. */
export const UsageReport = Type.Object({
  start_time: DateTime(),
  end_time: DateTime(),
  group_by: StringEnum(USAGE_GROUP_BY),
  totals: Type.Object({
    ...usageFigures,
    tasks_completed: Type.Number(),
    cost_per_task_usd: Nullable(Type.Number()),
  }),
  rows: Type.Array(UsageRow, { description: 'Largest cost first' }),
  unpriced_models: Type.Array(Type.String(), { description: 'Models with tokens in range and no price in the table' }),
});
/** GET /api/v1/usage answer. */
export type UsageReport = Static<typeof UsageReport>;
