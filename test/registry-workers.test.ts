// A PM2 cluster app is one agent served by several processes (same id, same endpoint). The registry keeps the agent
// in resolution while any of them runs: one worker's exit (PM2 bus), its goodbye (DELETE ?pid=), or a reload's old
// process saying goodbye after its replacement registered, leave the agent healthy; the last one takes it out.
import test from 'ava';
import { agentPayload, getJson, postHeartbeat, startRegistry } from './support/registry.js';

const cluster = (pid: number, pmId: number) =>
  agentPayload('api-3f2a1b0c', {
    http_port: 9400,
    metadata: { pid, pm_id: pmId, pm2_name: 'api' },
    tools: [{ function_name: 'get', capability: 'get' }],
  });

async function agent(url: string) {
  return (
    await getJson<{ status: string; status_reason: string | null; registered: boolean; workers?: { pid: number; pm_id: number }[] }>(
      url,
      '/agents/api-3f2a1b0c',
    )
  ).body;
}

test('one worker of two exiting (PM2 bus) leaves the agent healthy; the last one marks it unhealthy', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  for (const [pid, pmId] of [
    [101, 0],
    [102, 1],
  ] as const)
    t.is((await postHeartbeat(registry.url, cluster(pid, pmId))).status, 200);
  t.deepEqual((await agent(registry.url)).workers, [
    { pid: 101, pm_id: 0 },
    { pid: 102, pm_id: 1 },
  ]);

  t.deepEqual(registry.markProcessExited(0), [], 'worker 1 still serves');
  t.like(await agent(registry.url), { status: 'healthy', workers: [{ pid: 102, pm_id: 1 }] });
  // PM2 restarts worker 0 (same pm_id, new pid): it registers again.
  t.is((await postHeartbeat(registry.url, cluster(103, 0))).status, 200);
  t.deepEqual(registry.markProcessExited(1), []);
  t.deepEqual(registry.markProcessExited(0), ['api-3f2a1b0c'], 'no worker left');
  t.like(await agent(registry.url), { status: 'unhealthy', status_reason: 'process exit' });
});

test('HEAD ?pid=&pm_id= names the worker: after a registry restart the workers are known again without a POST', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  t.is((await postHeartbeat(registry.url, cluster(201, 0))).status, 200);
  const head = await fetch(`${registry.url}/heartbeat/api-3f2a1b0c?pid=202&pm_id=1`, { method: 'HEAD' });
  t.is(head.status, 200);
  t.deepEqual(
    (await agent(registry.url)).workers?.map((w) => w.pid),
    [201, 202],
  );
  t.is((await fetch(`${registry.url}/heartbeat/api-3f2a1b0c?pid=abc&pm_id=-1`, { method: 'HEAD' })).status, 200, 'junk is ignored');
  t.is((await agent(registry.url)).workers?.length, 2);
});

test('DELETE ?pid= of one worker (pm2 reload, scale down) keeps the agent; of the last, or without pid, unregisters', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  t.is((await postHeartbeat(registry.url, cluster(301, 0))).status, 200);
  // pm2 reload: the replacement (same pm_id, new pid) registers, then the old process stops and says goodbye.
  t.is((await postHeartbeat(registry.url, cluster(302, 0))).status, 200);
  t.is((await fetch(`${registry.url}/agents/api-3f2a1b0c?pid=301`, { method: 'DELETE' })).status, 204);
  t.like(await agent(registry.url), { status: 'healthy', registered: true, workers: [{ pid: 302, pm_id: 0 }] });
  t.is((await fetch(`${registry.url}/agents/api-3f2a1b0c?pid=302`, { method: 'DELETE' })).status, 204);
  t.like(await agent(registry.url), { status: 'unhealthy', status_reason: 'unregistered', registered: false });

  t.is((await postHeartbeat(registry.url, cluster(303, 0))).status, 200);
  t.is((await postHeartbeat(registry.url, cluster(304, 1))).status, 200);
  t.is((await fetch(`${registry.url}/agents/api-3f2a1b0c`, { method: 'DELETE' })).status, 204, "a DELETE without pid (MCP Mesh's) unregisters");
  t.like(await agent(registry.url), { status: 'unhealthy', registered: false });
});

test('agents outside PM2 have no workers field and unregister as before', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  t.is((await postHeartbeat(registry.url, agentPayload('solo-00000001', { metadata: { pid: 5 } }))).status, 200);
  const solo = (await getJson<Record<string, unknown>>(registry.url, '/agents/solo-00000001')).body;
  t.false('workers' in solo);
  t.is((await fetch(`${registry.url}/agents/solo-00000001?pid=5`, { method: 'DELETE' })).status, 204);
  t.is((await getJson<{ status: string }>(registry.url, '/agents/solo-00000001')).body.status, 'unhealthy');
});
