/** Retry delays: the one backoff-with-jitter helper of agentmon, kept in @agentmon/schema. */
export { backoffDelay, type BackoffOptions } from '@agentmon/schema';
