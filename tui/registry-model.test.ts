import test from 'ava';
import { countStatuses, decodeAgents, decodeEvent, decodeEvents, decodeHealth } from './registry-model.js';
import { SAMPLE_AGENTS, SAMPLE_EVENTS } from '../test/fixtures/sample-registry.js';

test('GET /agents decodes into agents sorted by name, with wiring, PM2 metadata and timestamps', (t) => {
  const agents = decodeAgents(SAMPLE_AGENTS);
  t.deepEqual(
    agents.map((a) => a.id),
    ['greeter-5e6f7a8b', 'oldtime-99999999', 'timesvc-1a2b3c4d'],
  );
  const greeter = agents[0]!;
  t.is(greeter.dependenciesResolved, 1);
  t.is(greeter.totalDependencies, 2);
  t.deepEqual(greeter.pm2, { pmId: 2, name: 'greeter', pid: 4243 });
  t.is(greeter.lastSeen, Date.parse('2026-11-25T17:05:58.000Z'));
  t.like(greeter.wiring[0], {
    capability: 'time_service',
    providerAgentId: 'timesvc-1a2b3c4d',
    providerTool: 'now',
    resolved: true,
    tags: ['+fast'],
  });
  t.like(greeter.wiring[1], { capability: 'nothing_here', providerAgentId: '', resolved: false });
  t.is(agents[1]!.pm2, null);
  t.is(agents[1]!.statusReason, 'unregistered');
  t.deepEqual(agents[2]!.wiring, []); // null dependency_resolutions
});

test('MCP Mesh-shaped and broken input degrade instead of throwing', (t) => {
  t.deepEqual(decodeAgents({ agents: null }), []);
  t.deepEqual(decodeAgents('nonsense'), []);
  const [a] = decodeAgents({ agents: [{ id: 'x-1', capabilities: [{ name: 'c', tags: [['a', 'b'], 'c'] }] }, { name: 'no id' }] });
  t.is(a!.name, 'x-1');
  t.is(a!.status, 'unknown');
  t.deepEqual(a!.capabilities[0]!.tags, ['a|b', 'c']);
  t.is(a!.lastSeen, null);
});

test('health counts come from /health when present, else from the agents', (t) => {
  t.deepEqual(
    decodeHealth({ status: 'healthy', version: '0.1.0', uptime_seconds: 5, agents: { healthy: 2, unhealthy: 1, unknown: 0, total: 3 } }).counts,
    {
      healthy: 2,
      unhealthy: 1,
      unknown: 0,
      total: 3,
    },
  );
  t.is(decodeHealth({ status: 'healthy' }).counts, null);
  t.deepEqual(countStatuses(decodeAgents(SAMPLE_AGENTS)), { healthy: 2, unhealthy: 1, unknown: 0, total: 3 });
});

test('GET /events (newest first) decodes in ascending id order', (t) => {
  t.deepEqual(
    decodeEvents(SAMPLE_EVENTS).map((e) => e.id),
    [1, 2, 3],
  );
  t.is(decodeEvent({ id: '12', event_type: 'healthy', data: null })!.id, 12);
  t.is(decodeEvent('x'), null);
});
