// One source of truth for the defaults every part shares (registry, runtime, plugin, CLI, dashboard).

export const DEFAULT_REGISTRY_HOST = '127.0.0.1';
export const DEFAULT_REGISTRY_PORT = 8000;
export const DEFAULT_REGISTRY_URL = `http://${DEFAULT_REGISTRY_HOST}:${DEFAULT_REGISTRY_PORT}`;

/** Longest gap in seconds between the registry's health sweeps: purge cadence (MCP Mesh: HEALTH_CHECK_INTERVAL). Timeouts are exact. */
export const DEFAULT_HEALTH_CHECK_INTERVAL_S = 10;
/** Seconds without a heartbeat before an agent turns unhealthy (MCP Mesh: DEFAULT_TIMEOUT_THRESHOLD). */
export const DEFAULT_TIMEOUT_S = 20;
/** Seconds an unhealthy agent is kept before it is purged. */
export const DEFAULT_RETENTION_S = 3600;
/** Events kept in the log; older ones are dropped. */
export const DEFAULT_MAX_EVENTS = 100_000;
/** Agents the registry holds at most, healthy or not (a flood cannot exhaust its memory). */
export const DEFAULT_MAX_AGENTS = 20_000;
/** New agents one source address may register per minute, and in one burst. */
export const DEFAULT_REGISTRATION_RATE_PER_MIN = 600;
/** Largest request body the registry reads. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** Seconds between an agent's light heartbeats (MCP_MESH_HEALTH_INTERVAL). */
export const DEFAULT_AGENT_HEARTBEAT_INTERVAL_S = 5;
/** Seconds a proxied tool call may take (MCP_MESH_CALL_TIMEOUT). */
export const DEFAULT_CALL_TIMEOUT_S = 30;
/** Longest wait of a topology long-poll (GET /agents/:id/topology?wait=). */
export const MAX_TOPOLOGY_WAIT_S = 60;

/** Seconds an agent may stay silent on a request relayed by the registry's /proxy (X-Mesh-Timeout overrides). */
export const DEFAULT_PROXY_TIMEOUT_S = 60;
/** Upper bound for X-Mesh-Timeout on /proxy. */
export const MAX_PROXY_TIMEOUT_S = 600;

/** What GET /health calls this service, as MCP Mesh's registry does. */
export const REGISTRY_SERVICE_NAME = 'mcp-mesh-registry';

/** The gateway's port when none is given (`pm2-mesh gateway`, the README's host configurations). */
export const DEFAULT_GATEWAY_PORT = 8001;
/** Recent spans the registry keeps (whole traces, oldest out first): GET /traces. */
export const DEFAULT_MAX_SPANS = 10_000;
/** Latency histogram bounds in seconds: the Prometheus client libraries' defaults, which stock dashboards expect. */
export const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
