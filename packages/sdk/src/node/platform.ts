/** What Node can tell about where the agent runs: its host name and its kind of deployment. */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { DeploymentType } from '@agentmon/schema';

/**
 * The deployment type from the environment: Kubernetes sets KUBERNETES_SERVICE_HOST; Lambda, Cloud
 * Functions and Cloud Run set their own variables; Docker leaves /.dockerenv or names itself in
 * /proc/1/cgroup. Otherwise `local` ("cloud" cannot be told apart from local; say it yourself).
 */
export function detectDeploymentType(env: NodeJS.ProcessEnv = process.env): DeploymentType {
  if (env.KUBERNETES_SERVICE_HOST) return 'kubernetes';
  if (env.AWS_LAMBDA_FUNCTION_NAME || env.FUNCTION_TARGET || env.K_SERVICE || env.FUNCTIONS_WORKER_RUNTIME) return 'serverless';
  try {
    if (existsSync('/.dockerenv') || existsSync('/run/.containerenv')) return 'docker';
    if (/docker|containerd|libpod/.test(readFileSync('/proc/1/cgroup', 'utf8'))) return 'docker';
  } catch {
    // no /proc: not Linux, so not a container we can see
  }
  return 'local';
}

/** The host name agentmon identifies this agent by (with its name and environment). */
export function defaultHost(): string {
  try {
    const name = hostname().trim();
    return name === '' ? 'localhost' : name.slice(0, 255);
  } catch {
    return 'localhost';
  }
}
