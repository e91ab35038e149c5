/**
 * @agentmon/sdk in Node: everything the browser-safe entry has, and an AgentMonitor that measures
 * the process and host by itself (the Node collector) and knows its host name and deployment type.
 * `import { AgentMonitor } from '@agentmon/sdk'` resolves here under Node.
 */
import { AgentMonitor as BaseAgentMonitor, type AgentMonitorOptions } from '../reporter.js';
import { createNodeCollector } from './collector.js';
import { defaultHost, detectDeploymentType } from './platform.js';
import { fileKeyStore } from './key-file.js';

export * from '../index.js';
export { createNodeCollector, type NodeCollectorOptions } from './collector.js';
export { defaultHost, detectDeploymentType } from './platform.js';
export { fileKeyStore } from './key-file.js';
export {
  cpuPercentBetween,
  parseCgroupCpuMax,
  parseCgroupMemoryLimit,
  parseDiskstats,
  parseMeminfo,
  parseNetDev,
  parseNvidiaSmi,
  parseProcIo,
  parseProcStat,
} from './proc.js';

/** Options of the Node AgentMonitor. */
export interface NodeAgentMonitorOptions extends AgentMonitorOptions {
  /**
   * A file that keeps the agent's api_key between runs (created with mode 0600), so a restarted
   * process re-registers at once instead of waiting until its previous run counts as gone.
   */
  keyFile?: string;
}

/**
 * AgentMonitor with Node defaults: `agent.host` is the host name, `agent.deployment_type` is
 * detected, resources come from the Node collector unless `collector` or `collect` says otherwise,
 * and `keyFile` keeps the api_key.
 */
export class AgentMonitor extends BaseAgentMonitor {
  constructor(options: NodeAgentMonitorOptions) {
    const agent = options?.agent;
    if (options?.keyFile !== undefined && (typeof options.keyFile !== 'string' || options.keyFile === '')) {
      throw new TypeError('AgentMonitor: keyFile must be a file path');
    }
    super(
      options && typeof agent === 'object' && agent !== null
        ? {
            ...options,
            agent: { ...agent, host: agent.host ?? defaultHost(), deployment_type: agent.deployment_type ?? detectDeploymentType() },
            collector: options.collector !== undefined || options.collect ? (options.collector ?? null) : createNodeCollector(),
            ...(options.keyFile !== undefined ? { keyStore: fileKeyStore(options.keyFile) } : {}),
          }
        : options,
    );
  }
}
