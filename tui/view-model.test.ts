import test from 'ava';
import { painter } from '../core/text/colour.js';
import { decodeAgents, decodeEvents } from './registry-model.js';
import { SAMPLE_AGENTS, SAMPLE_EVENTS, SAMPLE_NOW } from '../test/fixtures/sample-registry.js';
import { initialState, type DashboardState } from './state.js';
import { initialUiState, type UiState } from './ui-state.js';
import { buildView, capabilityRows, eventLine, wiringLines, type ViewOptions } from './view-model.js';

const size = (width: number, height: number) => ({ width, height });
/** Pane sizes of an 80×24 terminal. */
const SIZES: ViewOptions['sizes'] = {
  agents: size(77, 4),
  capabilities: size(43, 4),
  wiring: size(44, 6),
  events: size(31, 7),
  heartbeat: size(31, 4),
  overlay: size(70, 17),
  screen: size(80, 24),
};
const agents = decodeAgents(SAMPLE_AGENTS);
const online: DashboardState = {
  ...initialState('http://127.0.0.1:8000', SAMPLE_NOW),
  connection: 'online',
  lastUpdate: SAMPLE_NOW - 500,
  agents,
  events: decodeEvents(SAMPLE_EVENTS),
  stream: 'live',
  heartbeatRates: [1, 2, 4],
  rateSource: 'metrics',
};
const view = (state: DashboardState, ui: UiState = initialUiState(), color = false) => buildView(state, ui, { now: SAMPLE_NOW, color, sizes: SIZES });
const plain = painter(false);

test('the agents table shows name, status, endpoint, PM2 app#id + pid, capabilities, deps and heartbeat age', (t) => {
  const v = view(online);
  t.is(v.agents.header.trim().split(/\s+/).join(' '), 'NAME STATUS ENDPOINT PM2 APP CAPABILITIES DEPS SEEN');
  t.deepEqual(v.agents.ids, ['greeter-5e6f7a8b', 'oldtime-99999999', 'timesvc-1a2b3c4d']);
  t.deepEqual(v.agents.rows[0]!.split(/\s+/), ['greeter', 'healthy', '127.0.0.1:9102', 'greeter#2', '4243', 'greeting', '1/2', '2s']);
  t.deepEqual(v.agents.rows[1]!.split(/\s+/), ['oldtime', 'unhealthy', '127.0.0.1:9100', '-', 'time_service', '0/0', '55s']);
  for (const r of v.agents.rows) t.is(r.length, SIZES.agents.width);
});

test('colour: status is green/red, and NO_COLOR leaves no escape sequence anywhere', (t) => {
  const coloured = view(online, initialUiState(), true);
  t.true(coloured.agents.rows[0]!.includes('\x1b[32mhealthy'));
  t.true(coloured.agents.rows[1]!.includes('\x1b[31munhealthy'));
  const mono = view(online);
  const everything = JSON.stringify(mono);
  t.false(everything.includes('\\u001b'));
});

test('the filter narrows agents and capabilities, and says how many match', (t) => {
  const v = view(online, { ...initialUiState(), filter: 'TIME' });
  t.deepEqual(v.agents.ids, ['oldtime-99999999', 'timesvc-1a2b3c4d']);
  t.true(v.agents.label.includes('2/3 match "TIME"'));
  t.deepEqual(v.capabilities.providerIds, ['timesvc-1a2b3c4d', 'oldtime-99999999']);
  t.true(view(online, { ...initialUiState(), filter: 'zzz' }).agents.rows[0]!.includes('no agent matches'));
});

test('capabilities list every provider; the one a consumer was given is marked, unprovided needs show', (t) => {
  const rows = capabilityRows(agents, 'greeter-5e6f7a8b');
  const summary = rows.map((r) => [r.capability, r.providerText, r.consumers.join(','), r.givenToSelected]);
  t.deepEqual(summary, [
    ['greeting', 'greeter', '', false],
    ['nothing_here', '(none)', 'greeter', false],
    ['time_service', 'timesvc', 'greeter', true],
    ['time_service', 'oldtime', '', false],
  ]);
  const v = view(online); // greeter selected (first row)
  const timesvc = v.capabilities.rows.find((r) => r.includes('timesvc'))!;
  t.regex(timesvc, />timesvc\s+greeter/);
  t.regex(v.capabilities.rows.find((r) => r.includes('nothing_here'))!, /\(none\)\s+wanted/);
  t.deepEqual(v.capabilities.providerIds, ['greeter-5e6f7a8b', '', 'timesvc-1a2b3c4d', 'oldtime-99999999']);
});

test('wiring shows each dependency → the agent serving it now, or unresolved, and who uses the agent', (t) => {
  const greeter = agents.find((a) => a.name === 'greeter');
  t.deepEqual(wiringLines(greeter, agents, 44, plain), [
    'greeter healthy',
    'hello()',
    '  time_service +fast → timesvc.now',
    '  nothing_here → unresolved',
  ]);
  const timesvc = agents.find((a) => a.name === 'timesvc');
  t.deepEqual(wiringLines(timesvc, agents, 44, plain).slice(-2), ['used by', '  greeter (time_service)']);
  t.deepEqual(wiringLines(undefined, agents, 44, plain), ['select an agent']);
});

test('events: time, type, agent and why', (t) => {
  const [first, , last] = decodeEvents(SAMPLE_EVENTS);
  t.regex(eventLine(last!, 60, plain), /^\d\d:\d\d:\d\d unregister oldtime graceful_shutdown$/);
  t.regex(eventLine(first!, 60, plain), /register {3}timesvc v1\.2\.0 127\.0\.0\.1:9101$/);
  t.deepEqual(view(online).events.lines.length, 3);
});

test('registry unreachable: a banner naming the URL, last state kept and marked stale', (t) => {
  const down: DashboardState = { ...online, connection: 'unreachable', lastError: 'ECONNREFUSED' };
  const v = view(down);
  t.true(v.alert);
  t.regex(v.header, /registry unreachable at http:\/\/127\.0\.0\.1:8000, retrying/);
  t.true(v.agents.label.endsWith('(stale)'));
  t.is(v.agents.ids.length, 3);
  t.false(view(online).alert);
  t.regex(view({ ...online, connection: 'refused' }).header, /refused the token/);
});

test('before the first answer the panes say they are waiting', (t) => {
  const v = view(initialState('http://127.0.0.1:8000', SAMPLE_NOW));
  t.regex(v.header, /connecting to http:\/\/127\.0\.0\.1:8000/);
  t.is(v.agents.rows[0], 'waiting for the registry…');
});

test('heartbeat pane: sparkline + latest rate, counts by status', (t) => {
  const [spark, counts] = view(online).heartbeat.lines;
  t.regex(spark!, / ▃▅█ 4\.0\/s$/);
  t.is(counts, '2 healthy 1 unhealthy 0 unknown');
});

test('details overlay and help', (t) => {
  const details = view(online, { ...initialUiState(), overlay: { kind: 'details', agentId: 'greeter-5e6f7a8b', scroll: 0 } }).overlay!;
  t.true(details.lines.some((l) => /^pm2\s+greeter#2 4243$/.test(l)));
  t.true(details.lines.some((l) => l.includes('time_service +fast → timesvc.now')));
  t.regex(view(online, { ...initialUiState(), overlay: { kind: 'help', scroll: 0 } }).overlay!.lines.join('\n'), /q {2}C-c +quit/);
});

test('wiring shows the providers sharing a dependency, and their share once the agent’s own figures are read', (t) => {
  const planner = decodeAgents({
    agents: [
      {
        id: 'planner-1',
        name: 'planner',
        status: 'healthy',
        dependency_resolutions: [
          { function_name: 'plan', capability: 'weather', mcp_tool: 'forecast', provider_agent_id: 'w-1', status: 'available' },
        ],
        dependency_alternatives: {
          plan: [
            [
              { agent_id: 'w-1', function_name: 'forecast', rank: 0 },
              { agent_id: 'w-2', function_name: 'forecast', rank: 0 },
              { agent_id: 'w-old', function_name: 'forecast', rank: 1 },
            ],
          ],
        },
      },
    ],
  });
  const agent = planner[0]!;
  t.deepEqual(agent.wiring[0]!.sharedBy, ['w-1', 'w-2']);
  t.deepEqual(wiringLines(agent, planner, 60, plain).slice(2), ['  weather → w-1.forecast', '      shared by w-1, w-2']);
  const provider = (agent_id: string, calls: number, share: number, sharing = true) => ({
    agent_id,
    function_name: 'forecast',
    endpoint: '',
    sharing,
    rank: sharing ? 0 : 1,
    weight: 1,
    calls,
    failures: 0,
    in_flight: 0,
    latency_ms: 1,
    share,
  });
  const calls = {
    agentId: 'planner-1',
    error: '',
    report: {
      agent_id: 'planner-1',
      dependencies: [
        {
          function_name: 'plan',
          capability: 'weather',
          key: 'weather',
          strategy: 'least-inflight',
          calls: 300,
          providers: [provider('w-1', 160, 0.533), provider('w-2', 140, 0.467), provider('w-old', 0, 0, false)],
        },
      ],
    },
  };
  t.deepEqual(wiringLines(agent, planner, 80, plain, calls).slice(3), ['      shared: w-1 53% · w-2 47% (300 calls, least-inflight)']);
  t.deepEqual(
    wiringLines(agent, planner, 80, plain, { ...calls, agentId: 'other' }).slice(3),
    ['      shared by w-1, w-2'],
    'another agent’s figures are not used',
  );
});

test('past instances (unhealthy, their name served by another agent) are hidden until `a`; a cluster app shows its workers', (t) => {
  const greeter = agents.find((a) => a.id === 'greeter-5e6f7a8b')!;
  const past = { ...greeter, id: 'greeter-00000000', status: 'unhealthy', pm2: null };
  const cluster = { ...greeter, pm2: { name: 'greeter', pmId: 2, workers: [2, 3] } };
  const state = { ...online, agents: [cluster, past, ...agents.filter((a) => a !== greeter)] };
  const v = view(state);
  t.deepEqual(v.agents.ids, ['greeter-5e6f7a8b', 'oldtime-99999999', 'timesvc-1a2b3c4d'], 'oldtime has no successor: shown');
  t.true(v.agents.label.includes('1 past hidden (a)'));
  t.true(v.agents.rows[0]!.includes('greeter#2,3 ×2'));
  t.deepEqual(view(state, { ...initialUiState(), showAll: true }).agents.ids.length, 4);
});
