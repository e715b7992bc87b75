import { hostname } from 'node:os';
import test from 'ava';
import { drainTimeoutMs, loadConfig, pm2AgentId, processMetadata } from './config.js';

test('defaults, and the {name}-{8 hex} agent id', (t) => {
  const c = loadConfig({ name: 'greeter' }, {});
  t.regex(c.agentId, /^greeter-[0-9a-f]{8}$/);
  t.like(c, {
    registryUrl: 'http://127.0.0.1:8000',
    httpHost: '127.0.0.1',
    httpPort: 0,
    healthIntervalMs: 5000,
    callTimeoutMs: 30000,
    standalone: false,
    logLevel: 'info',
    logHeartbeats: true,
    namespace: 'default',
    version: '1.0.0',
  });
});

test('MCP_MESH_* variables override code options', (t) => {
  const c = loadConfig(
    { name: 'a', httpPort: 1, registryUrl: 'http://x:1' },
    {
      MCP_MESH_AGENT_NAME: 'b',
      MCP_MESH_AGENT_ID: 'b-fixed',
      MCP_MESH_REGISTRY_URL: 'http://10.0.0.1:9000/',
      MCP_MESH_HTTP_PORT: '9101',
      MCP_MESH_HEALTH_INTERVAL: '0.5',
      MCP_MESH_CALL_TIMEOUT: '2',
      MCP_MESH_LOG_LEVEL: 'DEBUG',
      MCP_MESH_LOG_HEARTBEATS: 'false',
      MCP_MESH_REGISTRY_TOKEN: 'sekret',
      MCP_MESH_ALLOWED_HOSTS: 'a.example, b.example:80',
    },
  );
  t.like(c, {
    name: 'b',
    agentId: 'b-fixed',
    registryUrl: 'http://10.0.0.1:9000',
    httpPort: 9101,
    healthIntervalMs: 500,
    callTimeoutMs: 2000,
    logLevel: 'debug',
    logHeartbeats: false,
    registryToken: 'sekret',
  });
  t.deepEqual(c.allowedHosts, ['a.example', 'b.example:80']);
});

test('standalone when asked, or when the mesh is disabled or not auto-run', (t) => {
  t.true(loadConfig({ name: 'a' }, { MCP_MESH_STANDALONE: 'true' }).standalone);
  t.true(loadConfig({ name: 'a' }, { MCP_MESH_ENABLED: 'false' }).standalone);
  t.true(loadConfig({ name: 'a' }, { MCP_MESH_AUTO_RUN: '0' }).standalone);
  t.true(loadConfig({ name: 'a', standalone: true }, {}).standalone);
});

test('bad values are refused naming the variable', (t) => {
  t.throws(() => loadConfig({ name: 'a' }, { MCP_MESH_HTTP_PORT: 'eighty' }), { message: /MCP_MESH_HTTP_PORT/ });
  t.throws(() => loadConfig({ name: 'a' }, { MCP_MESH_STANDALONE: 'maybe' }), { message: /MCP_MESH_STANDALONE/ });
  t.throws(() => loadConfig({ name: 'a' }, { MCP_MESH_HEALTH_INTERVAL: '-1' }), { message: /MCP_MESH_HEALTH_INTERVAL/ });
  t.throws(() => loadConfig({ name: 'a' }, { MCP_MESH_LOG_LEVEL: 'loud' }), { message: /MCP_MESH_LOG_LEVEL/ });
  t.throws(() => loadConfig({ name: 'a' }, { MCP_MESH_REGISTRY_URL: 'not a url' }), { message: /MCP_MESH_REGISTRY_URL/ });
  // Replicas: a comma-separated list, each one checked.
  t.is(loadConfig({ name: 'a' }, { MCP_MESH_REGISTRY_URL: 'http://a:1/, http://b:2' }).registryUrl, 'http://a:1,http://b:2');
  t.throws(() => loadConfig({ name: 'a' }, { MCP_MESH_REGISTRY_URL: 'http://a:1,b' }), {
    message: /MCP_MESH_REGISTRY_URL: "b" is not an http\(s\) URL/,
  });
  t.throws(() => loadConfig({ name: 'a b' }, {}), { message: /agent id/ });
});

test('PM2 metadata: pm_id and the app name when run by PM2', (t) => {
  t.deepEqual(processMetadata({ pm_id: '3', name: 'weather' }), { pm_id: 3, pm2_host: hostname(), pm2_name: 'weather', pid: process.pid });
  t.deepEqual(processMetadata({ name: 'not-pm2' }), { pid: process.pid });
});

test('tracing is on and /metrics off unless told otherwise (MCP_MESH_TRACING, MCP_MESH_METRICS)', (t) => {
  t.like(loadConfig({ name: 'a' }, {}), { tracing: true, metrics: false });
  t.like(loadConfig({ name: 'a', metrics: true }, { MCP_MESH_TRACING: 'false' }), { tracing: false, metrics: true });
  t.like(loadConfig({ name: 'a', metrics: true }, { MCP_MESH_METRICS: 'off' }), { metrics: false });
  t.throws(() => loadConfig({ name: 'a' }, { MCP_MESH_TRACING: 'maybe' }), { message: /MCP_MESH_TRACING must be true or false/ });
});

test('under PM2 an app instance keeps one agent id across restarts; cluster workers share it; standalone stays random', (t) => {
  const pm2 = { pm_id: '3', name: 'weather', PM2_HOME: '/tmp/pm2-a', NODE_APP_INSTANCE: '0' };
  const first = loadConfig({ name: 'weather' }, pm2).agentId;
  t.regex(first, /^weather-[0-9a-f]{8}$/);
  t.is(loadConfig({ name: 'weather' }, { ...pm2, pm_id: '7' }).agentId, first, 'a new pm_id (delete + start) keeps it');
  t.not(loadConfig({ name: 'weather' }, { ...pm2, NODE_APP_INSTANCE: '1' }).agentId, first, 'fork mode: one agent per instance');
  t.not(loadConfig({ name: 'weather' }, { ...pm2, PM2_HOME: '/tmp/pm2-b' }).agentId, first, 'another PM2 home, another app');
  t.not(loadConfig({ name: 'weather' }, { ...pm2, name: 'weather-2' }).agentId, first);
  t.is(
    pm2AgentId('weather', { ...pm2, NODE_APP_INSTANCE: '0' }, true),
    pm2AgentId('weather', { ...pm2, NODE_APP_INSTANCE: '1' }, true),
    'cluster workers share it',
  );
  t.is(loadConfig({ name: 'weather' }, { ...pm2, MCP_MESH_AGENT_ID: 'fixed' }).agentId, 'fixed');
  t.not(loadConfig({ name: 'weather' }, {}).agentId, loadConfig({ name: 'weather' }, {}).agentId, 'outside PM2: random per start');
});

test('calls under way get PM2 kill_timeout less a margin to finish at shutdown', (t) => {
  t.is(drainTimeoutMs({ kill_timeout: '3000' }), 2600);
  t.is(drainTimeoutMs({ kill_timeout: '300' }), 200);
  t.is(drainTimeoutMs({}), 1200);
});
