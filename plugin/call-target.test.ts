import test from 'ava';
import type { CapabilityView } from '../core/wire.js';
import { chooseTarget, nearMatches, splitAgentTool } from './call-target.js';

const tool = (agent: string, function_name: string, name: string, fields: Partial<CapabilityView> = {}): CapabilityView => ({
  name,
  function_name,
  version: '1.0.0',
  tags: [],
  description: '',
  agent_id: `${agent}-00000001`,
  agent_name: agent,
  endpoint: `http://127.0.0.1:${9000 + agent.length}`,
  status: 'healthy',
  available: true,
  ...fields,
});

const fleet = [
  tool('planner', 'plan_trip', 'trip_planning'),
  tool('planner', 'packing_list', 'packing_list'),
  tool('weather-fast', 'forecast', 'weather', { tags: ['fast'] }),
  tool('weather-precise', 'forecast', 'weather', { tags: ['precise'] }),
  tool('clock', 'weather', 'time_service'),
];

const ids = (choice: ReturnType<typeof chooseTarget>) => (choice.ok ? choice.providers.map((p) => p.agent_id) : choice.message);

test('a tool name wins over a capability of the same name, as in meshctl', (t) => {
  t.like(chooseTarget('weather', fleet, {}), { ok: true, matchedBy: 'tool' });
  t.deepEqual(ids(chooseTarget('weather', fleet, {})), ['clock-00000001']);
});

test('a capability is the fallback; --agent narrows the providers (the caller ranks them by tags)', (t) => {
  t.like(chooseTarget('trip_planning', fleet, {}), { ok: true, matchedBy: 'capability' });
  t.deepEqual(ids(chooseTarget('forecast', fleet, {})), ['weather-fast-00000001', 'weather-precise-00000001']);
  t.deepEqual(ids(chooseTarget('forecast', fleet, { agent: 'weather-fast' })), ['weather-fast-00000001']);
});

test('known but down: says so and names them; unknown: near matches', (t) => {
  const down = chooseTarget('plan_trip', [tool('planner', 'plan_trip', 'trip_planning', { status: 'unhealthy' })], {});
  t.like(down, { ok: false, reason: 'unhealthy' });
  t.regex((down as { message: string }).message, /no healthy provider of tool "plan_trip" \(1 known: planner-00000001 unhealthy/);
  const typo = chooseTarget('forcast', fleet, {});
  t.deepEqual(typo, {
    ok: false,
    reason: 'unknown',
    message: 'no tool, capability or agent/tool named "forcast"; did you mean forecast (tool of weather-fast)?',
  });
  t.deepEqual(nearMatches('trip', fleet), ['plan_trip (tool of planner)', 'trip_planning (capability)']);
  t.deepEqual(nearMatches('zzzzzz', fleet), []);
});

test('agent/tool', (t) => {
  t.deepEqual(splitAgentTool('planner/plan_trip'), { agent: 'planner', tool: 'plan_trip' });
  t.is(splitAgentTool('plan_trip'), undefined);
  t.is(splitAgentTool('/x'), undefined);
});
