/**
 * `@agentmon/schema/plain`: the values of the schema package without TypeBox, for browsers and
 * anything that wants the lists, defaults and codes without the validators: the enums' value lists,
 * metric names, the seed's defaults, the error codes and the retry backoff. The types come from
 * `@agentmon/schema` itself (type imports cost a bundle nothing).
 */
export * from './values.js';
export * from './metrics.js';
export * from './defaults.js';
export * from './error-codes.js';
export * from './backoff.js';
