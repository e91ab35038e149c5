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
} as const;
