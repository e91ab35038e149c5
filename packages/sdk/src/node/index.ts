/**
 * @agentmon/sdk in Node: everything the browser-safe entry has, and an AgentMonitor that measures
 * the process and host by itself (the Node collector) and knows its host name and deployment type.
 * `import { AgentMonitor } from '@agentmon/sdk'` resolves here under Node.
 */
import { AgentMonitor as BaseAgentMonitor, type AgentMonitorOptions } from '../reporter.js';
import { createNodeCollector } from './collector.js';
import { defaultHost, detectDeploymentType } from './platform.js';

export * from '../index.js';
export { createNodeCollector, type NodeCollectorOptions } from './collector.js';
export { defaultHost, detectDeploymentType } from './platform.js';
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

/**
 * AgentMonitor with Node defaults: `agent.host` is the host name, `agent.deployment_type` is
 * detected, and resources come from the Node collector unless `collector` or `collect` says otherwise.
 */
export class AgentMonitor extends BaseAgentMonitor {
  constructor(options: AgentMonitorOptions) {
    const agent = options?.agent;
    super(
      options && typeof agent === 'object' && agent !== null
        ? {
            ...options,
            agent: { ...agent, host: agent.host ?? defaultHost(), deployment_type: agent.deployment_type ?? detectDeploymentType() },
            collector: options.collector !== undefined || options.collect ? (options.collector ?? null) : createNodeCollector(),
          }
        : options,
    );
  }
}
