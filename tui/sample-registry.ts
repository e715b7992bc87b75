// A GET /agents answer as our registry gives it (a provider, a consumer with one unresolved dependency, and an
// agent gone unhealthy), for the dashboard's unit tests.

const T0 = Date.parse('2026-11-25T17:05:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** "Now" for the sample: 10 s after timesvc's last heartbeat. */
export const SAMPLE_NOW = T0 + 60_000;

export const SAMPLE_AGENTS = {
  count: 3,
  timestamp: at(60),
  agents: [
    {
      id: 'timesvc-1a2b3c4d', name: 'timesvc', agent_type: 'mcp_agent', runtime: 'python', status: 'healthy',
      endpoint: 'http://127.0.0.1:9101', version: '1.2.0', description: '', created_at: at(0), last_seen: at(50),
      capabilities: [{ name: 'time_service', function_name: 'now', version: '1.2.0', tags: ['fast', 'utc'], description: 'current time', available: true }],
      total_dependencies: 0, dependencies_resolved: 0, dependency_resolutions: null,
      namespace: 'default', status_reason: null, metadata: { pm_id: 1, pm2_name: 'timesvc', pid: 4242 },
    },
    {
      id: 'greeter-5e6f7a8b', name: 'greeter', agent_type: 'mcp_agent', runtime: 'python', status: 'healthy',
      endpoint: 'http://127.0.0.1:9102', version: '1.0.0', description: '', created_at: at(1), last_seen: at(58),
      capabilities: [{ name: 'greeting', function_name: 'hello', version: '1.0.0', tags: ['en'], description: 'hi', available: true }],
      total_dependencies: 2, dependencies_resolved: 1,
      dependency_resolutions: [
        { function_name: 'hello', capability: 'time_service', tags: ['+fast'], mcp_tool: 'now', provider_agent_id: 'timesvc-1a2b3c4d', endpoint: 'http://127.0.0.1:9101', status: 'available' },
        { function_name: 'hello', capability: 'nothing_here', status: 'unresolved' },
      ],
      namespace: 'default', status_reason: null, metadata: { pm_id: 2, pm2_name: 'greeter', pid: 4243 },
    },
    {
      id: 'oldtime-99999999', name: 'oldtime', agent_type: 'mcp_agent', runtime: 'python', status: 'unhealthy',
      endpoint: 'http://127.0.0.1:9100', version: '0.9.0', description: '', created_at: at(0), last_seen: at(5),
      capabilities: [{ name: 'time_service', function_name: 'now', version: '0.9.0', tags: [], description: '', available: false }],
      total_dependencies: 0, dependencies_resolved: 0, dependency_resolutions: [],
      namespace: 'default', status_reason: 'unregistered',
    },
  ],
};

export const SAMPLE_EVENTS = {
  count: 3,
  next: 3,
  // newest first, as GET /events answers without `since`
  events: [
    { id: 3, agent_id: 'oldtime-99999999', agent_name: 'oldtime', event_type: 'unregister', timestamp: at(5), data: { reason: 'graceful_shutdown', source: 'delete_endpoint' } },
    { id: 2, agent_id: 'greeter-5e6f7a8b', agent_name: 'greeter', event_type: 'register', timestamp: at(1), data: { version: '1.0.0', endpoint: 'http://127.0.0.1:9102', pm_id: 2 } },
    { id: 1, agent_id: 'timesvc-1a2b3c4d', agent_name: 'timesvc', event_type: 'register', timestamp: at(0), data: { version: '1.2.0', endpoint: 'http://127.0.0.1:9101' } },
  ],
};
