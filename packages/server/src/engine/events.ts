/** SystemEvent construction: every event agentmon records goes through here. */
import type { EventSeverity, EventType, SystemEvent } from '@agentmon/schema';
import { uuidv7 } from './ids.js';
import { clockIso } from './time.js';

/** An event about to be written. */
export function newEvent(
  type: EventType,
  message: string,
  fields: { agent_id?: string | null; data?: Record<string, unknown>; severity?: EventSeverity; source?: string; nowMs: number },
): SystemEvent {
  return {
    id: uuidv7(fields.nowMs),
    type,
    agent_id: fields.agent_id ?? null,
    timestamp: clockIso(fields.nowMs),
    data: fields.data ?? {},
    severity: fields.severity ?? 'info',
    message,
    source: fields.source ?? 'monitor_system',
  };
}
