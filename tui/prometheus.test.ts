import test from 'ava';
import { heartbeatCounter, parsePrometheusText } from './prometheus.js';

const TEXT = `# HELP mesh_registry_heartbeats_total Heartbeats received, by kind.
# TYPE mesh_registry_heartbeats_total counter
mesh_registry_heartbeats_total{kind="post"} 3
mesh_registry_heartbeats_total{kind="head"} 40
mesh_registry_agents{status="healthy"} 2
mesh_registry_uptime_seconds 12
garbage line
`;

test('samples are parsed with their labels; comments and garbage are skipped', (t) => {
  const samples = parsePrometheusText(TEXT);
  t.is(samples.length, 4);
  t.deepEqual(samples[0], { name: 'mesh_registry_heartbeats_total', labels: { kind: 'post' }, value: 3 });
  t.deepEqual(samples[3], { name: 'mesh_registry_uptime_seconds', labels: {}, value: 12 });
});

test('the heartbeat counter sums its labels; other registries: any *heartbeat*_total; none: null', (t) => {
  t.is(heartbeatCounter(parsePrometheusText(TEXT)), 43);
  t.is(heartbeatCounter(parsePrometheusText('other_heartbeats_received_total 9\n')), 9);
  t.is(heartbeatCounter(parsePrometheusText('up 1\n')), null);
});
