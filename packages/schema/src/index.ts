/**
 * @agentmon/schema: the seed's models as TypeBox schemas, their static types, the API's own
 * shapes and the metric names. Safe for servers, SDKs and browsers alike.
 */
export * from './common.js';
export * from './enums.js';
export * from './models.js';
export * from './api.js';
export * from './metrics.js';
export * from './defaults.js';
export * from './live.js';
export * from './usage.js';
export * from './error-codes.js';
export * from './backoff.js';
