/**
 * The seed's enums as TypeBox schemas (for validation and the API document). Their value lists and
 * types are in values.ts, which has no TypeBox: `@agentmon/schema/plain` gives them to browsers.
 */
import { StringEnum } from './common.js';
import { AGENT_STATUSES, AGENT_TYPES, ALERT_SEVERITIES, DEPLOYMENT_TYPES, EVENT_SEVERITIES, EVENT_TYPES, METRIC_TYPES } from './values.js';

// Each schema below shares its name with a type (the value list's members), as the seed's enums do.
export * from './values.js';

/** Types of agents that can be monitored. */
export type AgentType = (typeof AGENT_TYPES)[number];
export const AgentType = StringEnum(AGENT_TYPES, { description: 'Type of agent' });
/** Current status of an agent. */
export type AgentStatus = (typeof AGENT_STATUSES)[number];
export const AgentStatus = StringEnum(AGENT_STATUSES, { description: 'Current status of an agent' });
/** Where the agent is deployed. */
export type DeploymentType = (typeof DEPLOYMENT_TYPES)[number];
export const DeploymentType = StringEnum(DEPLOYMENT_TYPES, { description: 'Deployment environment' });
/** Types of metrics. */
export type MetricType = (typeof METRIC_TYPES)[number];
export const MetricType = StringEnum(METRIC_TYPES, { description: 'Type of metric' });
/** Types of events in the system. */
export type EventType = (typeof EVENT_TYPES)[number];
export const EventType = StringEnum(EVENT_TYPES, { description: 'Type of system event' });
/** Alert severities. */
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
export const AlertSeverity = StringEnum(ALERT_SEVERITIES, { description: 'critical, warning, info' });
/** Event severities. */
export type EventSeverity = (typeof EVENT_SEVERITIES)[number];
export const EventSeverity = StringEnum(EVENT_SEVERITIES, { description: 'info, warning, error, critical', default: 'info' });
