/** What the metadata schema tests of both SQL adapters expect of the seed's DDL and agentmon's additions. */

/** The seed's eight indexes, then agentmon's own: every metadata schema has each of them. */
export const METADATA_INDEXES: readonly string[] = [
  'idx_agents_status',
  'idx_agents_environment',
  'idx_agents_last_seen',
  'idx_alerts_agent_id',
  'idx_alerts_is_active',
  'idx_alerts_created_at',
  'idx_system_events_timestamp',
  'idx_system_events_type',
  'idx_agents_identity',
  'idx_system_events_agent_time',
  'idx_alerts_agent_active_created',
  'uq_alerts_active_fingerprint',
];
