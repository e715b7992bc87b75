import test from 'ava';
import { canonicalJson, topologyHash } from './topology-hash.js';

test('canonical JSON sorts keys at every depth and drops undefined', (t) => {
  t.is(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
});

test('the hash ignores key order but not array order', (t) => {
  const entry = { agent_id: 'a-1', capability: 'c', endpoint: 'http://x:1', function_name: 'f', status: 'available' as const };
  const reordered = { status: 'available' as const, function_name: 'f', endpoint: 'http://x:1', capability: 'c', agent_id: 'a-1' };
  t.is(topologyHash({ tool: [entry] }), topologyHash({ tool: [reordered] }));
  const other = { ...entry, agent_id: 'b-2' };
  t.not(topologyHash({ tool: [entry, other] }), topologyHash({ tool: [other, entry] }));
  t.regex(topologyHash({}), /^[0-9a-f]{64}$/);
});
