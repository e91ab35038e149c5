/** Schemas several route plugins share: the agent id parameter and the error responses. */
import { Type } from 'typebox';
import { ErrorBody } from '@agentmon/schema';

/** `:id` of an agent route. */
export const AgentIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255, description: 'Agent id' }) });

/** Error responses every authenticated route may give. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  429: { ...ErrorBody, description: 'RATE_LIMITED: the token made more requests than its rate limit allows; retry after Retry-After seconds' },
  503: { ...ErrorBody, description: 'A store is unavailable (STORE_UNAVAILABLE: its server is down or restarting) or behind (STORE_BUSY); retry after Retry-After seconds' },
} as const;

/** Errors of a route that writes metrics: also too large. */
export const ingestErrorResponses = {
  ...errorResponses,
  413: ErrorBody,
} as const;
