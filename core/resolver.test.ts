import test from 'ava';
import {
  checkDependencySpec,
  compareText,
  parseDependencySpec,
  resolveDependency,
  toResolved,
  unresolvedEntry,
  type DependencySpec,
  type ProviderCandidate,
} from './resolver.js';
import type { DependencySpecInput } from './wire.js';

function provider(agent_id: string, fields: Partial<ProviderCandidate> = {}): ProviderCandidate {
  return {
    agent_id,
    agent_name: agent_id.replace(/-[0-9a-f]+$/, ''),
    function_name: 'fn',
    capability: 'weather',
    version: '1.0.0',
    tags: [],
    endpoint: `http://127.0.0.1:9000/${agent_id}`,
    ...fields,
  };
}

const resolve = (input: DependencySpecInput, candidates: ProviderCandidate[]) => resolveDependency(parseDependencySpec(input), candidates);
const chosenId = (input: DependencySpecInput, candidates: ProviderCandidate[]) => resolve(input, candidates).chosen?.agent_id ?? null;
const rankedIds = (input: DependencySpecInput, candidates: ProviderCandidate[]) => resolve(input, candidates).ranked.map((c) => c.agent_id);

// ---- parsing and validation ----

test('a bare string is a capability with no tags and no version', (t) => {
  t.deepEqual(parseDependencySpec('time_service'), { capability: 'time_service', tags: [] });
});

test('a full spec keeps tags, version and alias; a blank version is no constraint', (t) => {
  t.deepEqual(parseDependencySpec({ capability: 'db', tags: ['+fast'], version: ' >=2 ', as: 'store' }), {
    capability: 'db',
    tags: ['+fast'],
    version: '>=2',
    as: 'store',
  });
  t.deepEqual(parseDependencySpec({ capability: 'db', version: '  ' }), { capability: 'db', tags: [] });
});

test('valid specs pass the check', (t) => {
  for (const input of [
    'x',
    { capability: 'x', tags: ['a', '+b', '-c', ['d', 'e'], ['+f', '-g']] },
    { capability: 'x', version: '^1.2.3' },
    { capability: 'x', version: '~1.2' },
    { capability: 'x', version: '>=1.0.0 <2.0.0' },
    { capability: 'x', version: '>=1.0.0, <2.0.0' },
    { capability: 'x', version: '1.x || >=3.0.0-beta.1' },
    { capability: 'x', version: '1.2.3 - 2.3.4' },
    { capability: 'x', version: '*' },
  ] as DependencySpecInput[]) {
    t.is(checkDependencySpec(parseDependencySpec(input)), null, JSON.stringify(input));
  }
});

test('invalid specs are refused with a message naming the field', (t) => {
  const problem = (input: DependencySpecInput) => checkDependencySpec(parseDependencySpec(input));
  t.regex(problem({ capability: 'x', version: '>=banana' }) ?? '', /^version: ">=banana" is not a valid semver range/);
  t.regex(problem({ capability: 'x', version: '^^1' }) ?? '', /^version:/);
  t.regex(problem({ capability: 'x', tags: ['ok', '+'] }) ?? '', /^tags\[1\]: "\+" has no tag name/);
  t.regex(problem({ capability: 'x', tags: ['-'] }) ?? '', /^tags\[0\]:/);
  t.regex(problem({ capability: 'x', tags: [''] }) ?? '', /^tags\[0\]:/);
  t.regex(problem({ capability: 'x', tags: ['+-x'] }) ?? '', /^tags\[0\]: .*more than one/);
  t.regex(problem({ capability: 'x', tags: [['a', '']] }) ?? '', /^tags\[0\]\[1\]:/);
  t.regex(problem({ capability: 'x', tags: [[]] }) ?? '', /^tags\[0\]: an OR group needs at least one tag/);
  t.regex(problem({ capability: '' }) ?? '', /^capability:/);
  t.regex(checkDependencySpec({ capability: 'x', tags: [42 as unknown as string] }) ?? '', /^tags\[0\]: a tag must be a string/);
});

test('an invalid spec resolves to nothing rather than throwing', (t) => {
  const candidates = [provider('a-1')];
  t.deepEqual(resolve({ capability: 'weather', version: 'not a range' }, candidates), { chosen: null, ranked: [] });
  t.deepEqual(resolve({ capability: 'weather', tags: ['+'] }, candidates), { chosen: null, ranked: [] });
});

// ---- capability ----

test('exact capability name only: no prefix, case or substring match', (t) => {
  const candidates = [
    provider('a-1', { capability: 'Weather' }),
    provider('b-1', { capability: 'weather_data' }),
    provider('c-1', { capability: 'weathe' }),
    provider('d-1', { capability: 'weather' }),
  ];
  t.deepEqual(rankedIds('weather', candidates), ['d-1']);
});

test('no candidates: unresolved', (t) => {
  t.deepEqual(resolve('weather', []), { chosen: null, ranked: [] });
  t.is(chosenId({ capability: 'weather', tags: ['api'] }, [provider('a-1', { tags: ['web'] })]), null);
});

// ---- tags ----

test('plain tags are all required', (t) => {
  const candidates = [provider('a-1', { tags: ['api'] }), provider('b-1', { tags: ['api', 'current'] }), provider('c-1', { tags: ['current'] })];
  t.deepEqual(rankedIds({ capability: 'weather', tags: ['api', 'current'] }, candidates), ['b-1']);
  t.deepEqual(rankedIds({ capability: 'weather', tags: ['api'] }, candidates), ['a-1', 'b-1']);
});

test('excluded tags remove a candidate', (t) => {
  const candidates = [provider('a-1', { tags: ['api', 'deprecated'] }), provider('b-1', { tags: ['api'] })];
  t.deepEqual(rankedIds({ capability: 'weather', tags: ['-deprecated'] }, candidates), ['b-1']);
  t.is(chosenId({ capability: 'weather', tags: ['-api'] }, candidates), null);
});

test('preferred tags are not required but raise the score (MCP Mesh tags example: C wins)', (t) => {
  const candidates = [
    provider('a-1', { tags: ['weather', 'api', 'accurate'] }),
    provider('b-1', { tags: ['weather', 'api', 'fast', 'deprecated'] }),
    provider('c-1', { tags: ['weather', 'api', 'fast', 'accurate'] }),
    provider('d-1', { tags: ['weather'] }),
  ];
  const spec = { capability: 'weather', tags: ['api', '+accurate', '+fast', '-deprecated'] };
  t.deepEqual(rankedIds(spec, candidates), ['c-1', 'a-1']);
  t.deepEqual(rankedIds({ capability: 'weather', tags: ['+fast'] }, candidates), ['b-1', 'c-1', 'a-1', 'd-1']);
});

test('stacked preferences order providers by how many they match (claude > gpt > llama)', (t) => {
  const candidates = [
    provider('llama-1', { capability: 'llm', tags: ['llm', 'llama'] }),
    provider('gpt-1', { capability: 'llm', tags: ['llm', 'gpt', 'openai'] }),
    provider('claude-1', { capability: 'llm', tags: ['llm', 'claude', 'anthropic'] }),
  ];
  t.deepEqual(rankedIds({ capability: 'llm', tags: ['+claude', '+anthropic', '+gpt'] }, candidates), ['claude-1', 'gpt-1', 'llama-1']);
});

test('an OR group needs one of its tags: a AND (b OR c); groups are ANDed like plain tags', (t) => {
  const candidates = [
    provider('a-1', { tags: ['a'] }),
    provider('b-1', { tags: ['a', 'b'] }),
    provider('c-1', { tags: ['a', 'c'] }),
    provider('d-1', { tags: ['b', 'c'] }),
  ];
  t.deepEqual(rankedIds({ capability: 'weather', tags: ['a', ['b', 'c']] }, candidates), ['b-1', 'c-1']);
  // MCP Mesh 3.7.1 answers [["a"],["b"]] with a AND b (its manual calls it "a OR b")
  t.deepEqual(rankedIds({ capability: 'weather', tags: [['a'], ['b']] }, candidates), ['b-1']);
  t.deepEqual(rankedIds({ capability: 'weather', tags: [['b'], ['c']] }, candidates), ['d-1']);
  t.deepEqual(rankedIds({ capability: 'weather', tags: [['zz', 'c'], ['b']] }, candidates), ['d-1']);
});

test('the order inside an OR group does not matter (as MCP Mesh 3.7.1 resolves, despite its "fallback" manual)', (t) => {
  const python = provider('z1', { capability: 'math', version: '1.0.0', tags: ['addition', 'python'] });
  const typescript = provider('a1', { capability: 'math', version: '1.0.0', tags: ['addition', 'typescript'] });
  t.deepEqual(rankedIds({ capability: 'math', tags: ['addition', ['python', 'typescript']] }, [python, typescript]), ['a1', 'z1']);
  t.deepEqual(rankedIds({ capability: 'math', tags: ['addition', ['typescript', 'python']] }, [python, typescript]), ['a1', 'z1']);
  t.is(
    chosenId({ capability: 'math', tags: ['addition', ['python', 'typescript']] }, [
      provider('go-1', { capability: 'math', tags: ['addition', 'go'] }),
    ]),
    null,
  );
});

test('inside an OR group, +tag is an alternative that also scores, -tag excludes everywhere', (t) => {
  const candidates = [
    provider('p1', { tags: ['x'] }),
    provider('p2', { tags: ['y'] }),
    provider('p3', { tags: ['x', 'y'] }),
    provider('p4', { tags: [] }),
  ];
  // observed on MCP Mesh 3.7.1 with the same four providers
  t.deepEqual(rankedIds({ capability: 'weather', tags: [['x', 'y']] }, candidates), ['p1', 'p2', 'p3']);
  t.deepEqual(rankedIds({ capability: 'weather', tags: [['+x', 'y']] }, candidates), ['p1', 'p3', 'p2']);
  t.deepEqual(rankedIds({ capability: 'weather', tags: [['-x', 'y']] }, candidates), ['p2']);
  t.deepEqual(rankedIds({ capability: 'weather', tags: [['+x']] }, candidates), ['p1', 'p3']);
  t.deepEqual(rankedIds({ capability: 'weather', tags: ['x', ['+y']] }, candidates), ['p3']);
});

test('an OR group of exclusions only is refused by the check and never resolves (MCP Mesh: unresolved)', (t) => {
  const spec = parseDependencySpec({ capability: 'weather', tags: [['-x']] });
  t.regex(checkDependencySpec(spec) ?? '', /^tags\[0\]: an OR group needs at least one tag without "-"/);
  t.is(resolveDependency(spec, [provider('p1', { tags: ['y'] })]).chosen, null);
});

// ---- versions ----

const versioned = (...versions: (string | undefined)[]) =>
  versions.map((version, i) => provider(`p${i}-${(version || 'none').replace(/[^0-9a-z]/gi, '')}`, { version }));

test('semver ranges: caret, tilde, comparison, x-range, exact, hyphen, or', (t) => {
  const candidates = versioned('0.9.0', '1.0.0', '1.2.3', '1.4.0', '2.0.0', '2.5.1', '3.0.0');
  const ids = (range: string) => rankedIds({ capability: 'weather', version: range }, candidates);
  t.deepEqual(ids('^1.2.0'), ['p3-140', 'p2-123']);
  t.deepEqual(ids('~1.2.0'), ['p2-123']);
  t.deepEqual(ids('>=2.0.0'), ['p6-300', 'p5-251', 'p4-200']);
  t.deepEqual(ids('<1.0.0'), ['p0-090']);
  t.deepEqual(ids('1.x'), ['p3-140', 'p2-123', 'p1-100']);
  t.deepEqual(ids('2'), ['p5-251', 'p4-200']);
  t.deepEqual(ids('1.2.3'), ['p2-123']);
  t.deepEqual(ids('1.2.3 - 2.0.0'), ['p4-200', 'p3-140', 'p2-123']);
  t.deepEqual(ids('^0.9.0 || ^3.0.0'), ['p6-300', 'p0-090']);
  t.deepEqual(ids('>=1.0.0, <1.3.0'), ['p2-123', 'p1-100']);
  t.deepEqual(ids('>=4.0.0'), []);
});

test('prerelease providers match only ranges that name a prerelease of the same version', (t) => {
  const candidates = versioned('2.0.0-beta.1', '1.5.0');
  t.deepEqual(rankedIds({ capability: 'weather', version: '>=1.0.0' }, candidates), ['p1-150']);
  t.deepEqual(rankedIds({ capability: 'weather', version: '>=2.0.0-alpha' }, candidates), ['p0-200beta1']);
  t.deepEqual(rankedIds({ capability: 'weather', version: '^2.0.0-beta.0' }, candidates), ['p0-200beta1']);
  // no range: prereleases are candidates, and rank below their release but above older releases
  t.deepEqual(rankedIds('weather', versioned('2.0.0', '2.0.0-rc.1', '1.9.9')), ['p0-200', 'p1-200rc1', 'p2-199']);
});

test('a non-semver or missing provider version fails any range but satisfies no range', (t) => {
  const candidates = versioned('latest', undefined, '', '1.2.x', '1.0.0');
  t.deepEqual(rankedIds({ capability: 'weather', version: '>=0.0.0' }, candidates), ['p4-100']);
  t.deepEqual(rankedIds({ capability: 'weather', version: '*' }, candidates), ['p4-100']);
  // without a range all are candidates; semver first, the rest by agent_id
  t.deepEqual(rankedIds('weather', candidates), ['p4-100', 'p0-latest', 'p1-none', 'p2-none', 'p3-12x']);
});

test('provider versions are read as MCP Mesh reads them: leading v, missing minor/patch', (t) => {
  t.deepEqual(rankedIds({ capability: 'weather', version: '^1.0.0' }, versioned('v1.1.0', '1.2', '1')), ['p1-12', 'p0-v110', 'p2-1']);
  t.deepEqual(rankedIds({ capability: 'weather', version: '~1.2.0' }, versioned('1.2.3', '1.2', '1.4.0')), ['p0-123', 'p1-12']);
});

test('!= excludes one version (Masterminds syntax, which npm semver lacks)', (t) => {
  const candidates = versioned('1.2.3', '1.2.4', '2.0.0-beta.1', 'latest');
  t.deepEqual(rankedIds({ capability: 'weather', version: '!=1.2.3' }, candidates), ['p1-124']);
  t.deepEqual(rankedIds({ capability: 'weather', version: '>=1.0.0 != 1.2.4 || 2.0.0-beta.1' }, candidates), ['p2-200beta1', 'p0-123']);
  t.regex(checkDependencySpec(parseDependencySpec({ capability: 'x', version: '!=banana' })) ?? '', /^version:/);
});

test('the MCP Mesh 3.7.1 ranking of the providers probed on the binary', (t) => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'k', 'l'];
  const versions = ['0.9.0', '1.0.0', '1.2.3', '1.4.0', '2.0.0', '2.5.1', '3.0.0', '2.0.0-beta.1', 'latest', '1.2', 'v1.1.0'];
  const candidates = ids.map((id, i) => provider(id, { version: versions[i] }));
  // (MCP Mesh stores a missing tool version as "1.0.0": providers j and m of the probe are left out here)
  t.deepEqual(rankedIds('weather', candidates), ['g', 'f', 'e', 'h', 'd', 'c', 'k', 'l', 'b', 'a', 'i']);
  t.deepEqual(rankedIds({ capability: 'weather', version: '*' }, candidates), ['g', 'f', 'e', 'd', 'c', 'k', 'l', 'b', 'a']);
  t.deepEqual(rankedIds({ capability: 'weather', version: '^2.0.0-beta.0' }, candidates), ['f', 'e', 'h']);
  t.deepEqual(rankedIds({ capability: 'weather', version: '1.2' }, candidates), ['c', 'k']);
  t.deepEqual(rankedIds({ capability: 'weather', version: '>=1.0.0, <1.3.0' }, candidates), ['c', 'k', 'l', 'b']);
});

// ---- choosing among several ----

test('same score: the highest version wins', (t) => {
  const candidates = versioned('1.0.0', '1.10.0', '1.9.0');
  t.is(chosenId('weather', candidates), 'p1-1100');
});

test('score beats version', (t) => {
  const candidates = [provider('old-1', { version: '1.0.0', tags: ['fast'] }), provider('new-1', { version: '5.0.0' })];
  t.is(chosenId({ capability: 'weather', tags: ['+fast'] }, candidates), 'old-1');
});

test('full tie: agent_id, then function_name, in code-unit order', (t) => {
  const candidates = [
    provider('b-1', { function_name: 'a' }),
    provider('a-1', { function_name: 'z' }),
    provider('a-1', { function_name: 'm' }),
    provider('B-1', { function_name: 'a' }),
  ];
  const ranked = resolve('weather', candidates).ranked.map((c) => `${c.agent_id}/${c.function_name}`);
  t.deepEqual(ranked, ['B-1/a', 'a-1/m', 'a-1/z', 'b-1/a']);
});

test('the choice does not depend on candidate order', (t) => {
  const candidates: ProviderCandidate[] = [];
  for (let i = 0; i < 40; i++) {
    candidates.push(
      provider(`agent-${(i * 7919) % 97}`, {
        function_name: `f${i % 3}`,
        version: i % 5 === 0 ? 'dev' : `1.${i % 4}.${i % 3}`,
        tags: [i % 2 ? 'fast' : 'slow', i % 3 ? 'eu' : 'us'],
      }),
    );
  }
  const spec = parseDependencySpec({ capability: 'weather', tags: ['+fast', ['eu', 'us']] });
  const expected = resolveDependency(spec, candidates).ranked;
  t.is(expected.length, 40);
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 20; round++) {
    const shuffled = [...candidates];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    t.deepEqual(resolveDependency(spec, shuffled).ranked, expected);
  }
});

test('a self-dependency is just a candidate', (t) => {
  const self = provider('me-1', { capability: 'clock', function_name: 'now' });
  const other = provider('zz-1', { capability: 'clock', function_name: 'now' });
  t.is(chosenId('clock', [other, self]), 'me-1');
});

test('candidates of another capability are ignored even if the caller passes them', (t) => {
  t.deepEqual(rankedIds('weather', [provider('a-1', { capability: 'time' }), provider('b-1')]), ['b-1']);
});

test('ranked holds every match and chosen is its head', (t) => {
  const result = resolve({ capability: 'weather', tags: ['+x'] }, versioned('1.0.0', '2.0.0', '3.0.0'));
  t.is(result.ranked.length, 3);
  t.is(result.chosen, result.ranked[0]!);
});

test('resolving the same spec object again uses its compiled form and gives the same answer', (t) => {
  const spec: DependencySpec = parseDependencySpec({ capability: 'weather', tags: ['fast'], version: '^1' });
  const candidates = [provider('a-1', { tags: ['fast'] }), provider('b-1')];
  t.deepEqual(resolveDependency(spec, candidates), resolveDependency(spec, candidates));
});

// ---- speed (measured and printed, never asserted) ----

test('timing: resolution per dependency among 10 000 capabilities', (t) => {
  // 10 000 capabilities, 3 providers each; the registry hands the resolver one capability's providers.
  const byCapability = new Map<string, ProviderCandidate[]>();
  for (let c = 0; c < 10_000; c++) {
    const list: ProviderCandidate[] = [];
    for (let p = 0; p < 3; p++) {
      list.push(
        provider(`agent${c}-${p}`, {
          capability: `cap${c}`,
          version: `${p + 1}.${c % 10}.0`,
          tags: ['api', p % 2 ? 'fast' : 'slow', `region${p}`],
        }),
      );
    }
    byCapability.set(`cap${c}`, list);
  }
  const specs = [...byCapability.keys()].map((capability, i) =>
    parseDependencySpec(
      i % 2 ? { capability, tags: ['api', '+fast', '-deprecated', ['region0', 'region1', 'region2']], version: '>=1.0.0 <4' } : capability,
    ),
  );
  const samples: number[] = [];
  let resolved = 0;
  for (let round = 0; round < 3; round++) {
    for (const spec of specs) {
      const start = process.hrtime.bigint();
      const { chosen } = resolveDependency(spec, byCapability.get(spec.capability)!);
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (chosen) resolved++;
    }
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(4);
  t.log(`resolveDependency over ${samples.length} lookups: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);
  t.is(resolved, samples.length);

  // one capability with 10 000 providers: the worst case of a single lookup
  const crowd = [...byCapability.values()].flat().map((c) => ({ ...c, capability: 'crowd' }));
  const spec = parseDependencySpec({ capability: 'crowd', tags: ['api', '+fast'], version: '^2' });
  const start = process.hrtime.bigint();
  const { ranked } = resolveDependency(spec, crowd);
  t.log(`one capability with ${crowd.length} providers: ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(2)} ms, ${ranked.length} ranked`);
  t.is(ranked.length, 10_000);
});

// ---- wire entries and order ----

test('a chosen provider and an unresolved dependency as the wire carries them', (t) => {
  t.deepEqual(toResolved(provider('a-1')), {
    agent_id: 'a-1',
    capability: 'weather',
    endpoint: 'http://127.0.0.1:9000/a-1',
    function_name: 'fn',
    status: 'available',
  });
  t.deepEqual(unresolvedEntry('weather'), { agent_id: '', capability: 'weather', endpoint: '', function_name: '', status: 'unresolved' });
});

test('text order is code-unit order, whatever the locale', (t) => {
  t.deepEqual(['b', 'B', 'a', 'é', 'e'].sort(compareText), ['B', 'a', 'b', 'e', 'é']);
  t.is(compareText('x', 'x'), 0);
});
