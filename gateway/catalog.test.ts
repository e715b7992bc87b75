import test from 'ava';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { CapabilityView } from '../core/wire.js';
import { buildCatalog } from './catalog.js';
import { NO_FILTER } from './filter.js';

function provider(agent: string, capability: string, fn: string, fields: Partial<CapabilityView> = {}): CapabilityView {
  return {
    name: capability,
    function_name: fn,
    version: '1.0.0',
    tags: [],
    description: `${fn} of ${agent}`,
    agent_id: agent,
    agent_name: agent.replace(/-\w+$/, ''),
    endpoint: `http://127.0.0.1:${1000 + agent.length}`,
    status: 'healthy',
    available: true,
    ...fields,
  };
}

const providers = [
  provider('fast-1', 'weather', 'forecast', { version: '1.2.0', tags: ['fast'] }),
  provider('precise-1', 'weather', 'forecast', { version: '2.1.0', tags: ['precise'] }),
  provider('clock-1', 'time_service', 'now'),
  provider('gone-1', 'greeting', 'hello', { status: 'unhealthy', available: false }),
];

const definitions = new Map<string, Map<string, Tool>>([
  [
    'precise-1',
    new Map([
      ['forecast', { name: 'forecast', description: 'precise weather', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } }],
    ]),
  ],
]);

test('one tool per healthy capability, providers ranked as the resolver ranks them', (t) => {
  const catalog = buildCatalog(providers, NO_FILTER, (id) => definitions.get(id));
  t.deepEqual([...catalog.tools.keys()], ['forecast', 'now']);
  const forecast = catalog.tools.get('forecast')!;
  t.deepEqual(
    forecast.providers.map((p) => p.agent_id),
    ['precise-1', 'fast-1'],
  );
  // The provider's own definition, under the gateway's name.
  t.is(forecast.definition.description, 'precise weather');
  // Not read from the provider yet: the registry's description and an open input schema.
  t.deepEqual(catalog.tools.get('now')!.definition, { name: 'now', description: 'now of clock-1', inputSchema: { type: 'object' } });
});

test('a preferred tag reorders providers; a required one filters them, and a capability without one is not offered', (t) => {
  const preferred = buildCatalog(providers, { ...NO_FILTER, tags: ['+fast'] }, (id) => definitions.get(id));
  t.deepEqual(
    preferred.tools.get('forecast')!.providers.map((p) => p.agent_id),
    ['fast-1', 'precise-1'],
  );
  // The definition comes from the first provider that has one read.
  t.is(preferred.tools.get('forecast')!.definition.description, 'precise weather');
  const required = buildCatalog(providers, { ...NO_FILTER, tags: ['fast'] }, () => undefined);
  t.deepEqual([...required.tools.keys()], ['forecast']);
  t.deepEqual(
    required.tools.get('forecast')!.providers.map((p) => p.agent_id),
    ['fast-1'],
  );
});

test('the signature changes with what tools/list shows, not with the providers behind it', (t) => {
  const before = buildCatalog(providers, NO_FILTER, (id) => definitions.get(id));
  const another = buildCatalog([...providers, provider('fast-2', 'weather', 'forecast', { version: '1.0.0' })], NO_FILTER, (id) =>
    definitions.get(id),
  );
  t.is(another.signature, before.signature);
  t.is(another.tools.get('forecast')!.providers.length, 3);
  const fewer = buildCatalog(providers.slice(0, 2), NO_FILTER, (id) => definitions.get(id));
  t.not(fewer.signature, before.signature);
});
