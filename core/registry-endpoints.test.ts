import test from 'ava';
import { parseRegistryUrls, RegistryEndpoints } from './registry-endpoints.js';

test('a comma-separated list of registry URLs is split, trimmed and checked', (t) => {
  t.deepEqual(parseRegistryUrls('http://a:1/, http://b:2 ,,http://a:1'), ['http://a:1', 'http://b:2']);
  t.deepEqual(parseRegistryUrls('https://r.example'), ['https://r.example']);
  t.throws(() => parseRegistryUrls(' , '), { message: /MCP_MESH_REGISTRY_URL is empty/ });
  t.throws(() => parseRegistryUrls('http://a:1,b:2', '--registry'), { message: /--registry: "b:2" is not an http\(s\) URL/ });
});

test('requests stay on the URL that answers and move on at once when it fails or answers 503', async (t) => {
  const switches: string[] = [];
  const endpoints = new RegistryEndpoints(['http://a', 'http://b', 'http://c'], (from, to, reason) => switches.push(`${from}→${to} ${reason}`));
  const down = new Set(['http://a']);
  const busy = new Set(['http://b']);
  const calls: string[] = [];
  const attempt = async (base: string) => {
    calls.push(base);
    if (down.has(base)) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    return busy.has(base) ? 503 : 200;
  };
  t.is(await endpoints.request(attempt, { statusOf: (s) => s }), 200);
  t.deepEqual(calls, ['http://a', 'http://b', 'http://c']);
  t.deepEqual(switches, ['http://a→http://b ECONNREFUSED', 'http://b→http://c answered 503']);
  calls.length = 0;
  t.is(await endpoints.request(attempt, { statusOf: (s) => s }), 200);
  t.deepEqual(calls, ['http://c'], 'the working replica is kept');
});

test('when every URL fails the last error is thrown (or the last 503 answered), each URL tried once', async (t) => {
  const endpoints = new RegistryEndpoints(['http://a', 'http://b']);
  let calls = 0;
  await t.throwsAsync(
    endpoints.request(async () => {
      calls++;
      throw new Error('down');
    }),
    { message: 'down' },
  );
  t.is(calls, 2);
  t.is(await endpoints.request(async () => 503, { statusOf: (s) => s }), 503);
  let stoppedCalls = 0;
  await t.throwsAsync(
    endpoints.request(
      async () => {
        stoppedCalls++;
        throw new Error('aborted');
      },
      { stopped: () => true },
    ),
  );
  t.is(stoppedCalls, 1, 'a caller that stopped does not try the others');
});
