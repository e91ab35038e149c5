/**
 * What an empty server shows instead of an empty fleet: how to get a first agent's data in. A
 * person who just ran `npm start` lands here; zeros and empty charts would tell them nothing.
 */

/** Ways to send a first agent's data, each a command to copy, with this server's address in it. */
function steps(origin: string): { title: string; code: string }[] {
  return [
    {
      title: 'Try the demo fleet against this server',
      code: `npx @agentmon/cli demo --url ${origin} --token <admin token>`,
    },
    {
      title: 'Register an agent and send one payload with curl',
      code: [
        `curl -s -X POST ${origin}/api/v1/agents -H "Authorization: Bearer $AGENTMON_TOKEN" -H 'Content-Type: application/json' \\`,
        `  -d '{"name": "my-first-agent", "type": "llm_agent", "version": "0.1.0", "deployment_type": "local", "host": "localhost", "environment": "development"}'`,
        `curl -s -X POST ${origin}/api/v1/agents/<agent_id>/metrics -H "Authorization: Bearer $AGENTMON_TOKEN" -H 'Content-Type: application/json' \\`,
        `  -d '{"agent_id": "<agent_id>", "resource_metrics": {"cpu_usage_percent": 12, "memory_usage_bytes": 1000000, "memory_usage_percent": 20, "disk_usage_bytes": 1000000}, "performance_metrics": {"tasks_completed": 1}}'`,
      ].join('\n'),
    },
    {
      title: 'Or embed the SDK (TypeScript) or clients/python/agentmon.py in your agent',
      code: `new AgentMonitor({ url: '${origin}', token: process.env.AGENTMON_TOKEN, agent: { name: 'my-first-agent', type: 'llm_agent', version: '0.1.0', environment: 'development' } }).start()`,
    },
  ];
}

/** The setup card. */
export function SetupCard({ origin }: { origin: string }) {
  return (
    <section class="card section setup-card" data-testid="setup-card">
      <header>
        <h2>Set up your first agent</h2>
        <span class="sub">No agent has registered with this server yet. Agents appear here as soon as one does.</span>
      </header>
      <div class="card-body">
        <p class="muted">
          Use the admin token the server printed on its first start (kept in <code>data/admin-token</code>), or give agents a
          registration token (<code>AGENTMON_REGISTRATION_TOKEN</code>). The full API is at <a href={`${origin}/docs`}>{origin}/docs</a>.
        </p>
        <ol>
          {steps(origin).map((s) => (
            <li>
              <strong>{s.title}</strong>
              <pre>
                <code>{s.code}</code>
              </pre>
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}
