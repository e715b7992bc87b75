// Throws a few thousand malformed requests at a real registry process over loopback, through raw sockets so
// that anything can be sent, and checks: no 5xx, every 4xx answered with a JSON {error}, the process alive and
// still answering correctly afterwards. Seeded, bounded in count and time.
import test from 'ava';
import { connect } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './support/processes.js';
import { spawnRegistry, type RegistryProc } from './support/registry.js';

const ONE_MIB = 1024 * 1024;
/** Time one exchange may take before it counts as "no answer" (a request the server is still waiting on). */
const EXCHANGE_TIMEOUT_MS = 2000;
const CONCURRENCY = 6;

// ---------- a registry process ----------

/** A registry process on a data file of its own; `stop` ends it (SIGTERM) and removes the file. */
async function startFuzzed(args: string[] = []): Promise<{ registry: RegistryProc; host: string; port: number; stop: () => Promise<void> }> {
  const { dir, remove } = tempDir('registry-fuzz-');
  // The cases address the registry as "fuzz" (see request()): a name it is told it answers to.
  const registry = await spawnRegistry({ args: ['--allowed-hosts', 'fuzz', '--data-file', join(dir, 'registry.db'), ...args] });
  const stop = async () => {
    const killer = setTimeout(() => registry.signal('SIGKILL'), 10_000);
    await registry.stop('SIGTERM');
    clearTimeout(killer);
    remove();
  };
  return { registry, host: '127.0.0.1', port: registry.port, stop };
}

// ---------- a raw HTTP/1.1 exchange ----------

interface Answer {
  status: number | null; // null: no status line before the socket closed or the timeout
  headers: Record<string, string>;
  body: Buffer;
  timedOut: boolean;
}

interface Case {
  label: string;
  /** The request bytes, or parts written one after the other (with `pauseMs` between them). */
  bytes: Buffer | Buffer[];
  /** Half-close our side after writing (a body cut short). */
  endAfterWrite?: boolean;
  pauseMs?: number;
  /** A HEAD request: an answer has no body. */
  head?: boolean;
  /** An answer may legitimately never come (the server waits for the rest of a lying body). */
  mayHang?: boolean;
}

function exchange(host: string, port: number, c: Case): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseAnswer(Buffer.concat(chunks), c.head === true), timedOut });
    };
    const timer = setTimeout(() => finish(true), EXCHANGE_TIMEOUT_MS);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (isComplete(Buffer.concat(chunks), c.head === true)) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
    socket.on('connect', async () => {
      const parts = Array.isArray(c.bytes) ? c.bytes : [c.bytes];
      for (const [i, part] of parts.entries()) {
        if (settled) return;
        socket.write(part);
        if (c.pauseMs && i < parts.length - 1) await new Promise((r) => setTimeout(r, c.pauseMs));
      }
      if (c.endAfterWrite && !settled) socket.end();
    });
  });
}

function splitHead(raw: Buffer): { status: number | null; headers: Record<string, string>; rest: Buffer } | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: match ? Number(match[1]) : null, headers, rest: raw.subarray(end + 4) };
}

function decodeChunked(body: Buffer): Buffer | null {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return null;
    if (size === 0) return Buffer.concat(out);
    if (body.length < lineEnd + 2 + size + 2) return null;
    out.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

function isComplete(raw: Buffer, head: boolean): boolean {
  const parsed = splitHead(raw);
  if (!parsed) return false;
  if (head || parsed.status === 204 || parsed.status === 304) return true;
  if (parsed.headers['content-type']?.startsWith('text/event-stream')) return true; // a live stream: headers suffice
  if (parsed.headers['content-length'] !== undefined) return parsed.rest.length >= Number(parsed.headers['content-length']);
  if (parsed.headers['transfer-encoding']?.includes('chunked')) return decodeChunked(parsed.rest) !== null;
  return false; // read until close
}

function parseAnswer(raw: Buffer, head: boolean): Omit<Answer, 'timedOut'> {
  const parsed = splitHead(raw);
  if (!parsed) return { status: null, headers: {}, body: Buffer.alloc(0) };
  let body = head ? Buffer.alloc(0) : parsed.rest;
  if (!head && parsed.headers['transfer-encoding']?.includes('chunked')) body = decodeChunked(parsed.rest) ?? parsed.rest;
  if (!head && parsed.headers['content-length'] !== undefined) body = body.subarray(0, Number(parsed.headers['content-length']));
  return { status: parsed.status, headers: parsed.headers, body };
}

// ---------- building requests ----------

function request(
  method: string,
  path: string,
  options: { body?: Buffer | string; headers?: Record<string, string>; length?: number | string | null } = {},
): Buffer {
  const body = options.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
  const headers: Record<string, string> = { host: 'fuzz', connection: 'close', ...options.headers };
  const length = options.length === undefined ? (options.body === undefined ? undefined : body.length) : options.length;
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (length !== undefined && length !== null) head += `content-length: ${length}\r\n`;
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), body]);
}

const json = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  request(method, path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! };
}

const validAgent = (id: string) => ({
  agent_id: id,
  name: 'fuzz',
  version: '1.0.0',
  agent_type: 'mcp_agent',
  http_host: '127.0.0.1',
  http_port: 9300,
  namespace: 'default',
  tools: [
    {
      function_name: 'f',
      capability: 'fuzz_cap',
      version: '1.0.0',
      tags: ['a', 'b'],
      description: 'd',
      input_schema: { type: 'object' },
      dependencies: [{ capability: 'fuzz_cap', tags: ['+a', '-z', ['a', 'b']], version: '>=1.0.0' }, 'other_cap'],
    },
  ],
  metadata: { pm_id: 1, pm2_name: 'fuzz', pid: 42 },
  health: { status: 'healthy' },
});

/** Field paths of a valid agent (as property-key arrays) to break one at a time. */
const FIELD_PATHS: (string | number)[][] = [
  ['agent_id'],
  ['name'],
  ['version'],
  ['agent_type'],
  ['http_host'],
  ['http_port'],
  ['namespace'],
  ['tools'],
  ['tools', 0],
  ['tools', 0, 'function_name'],
  ['tools', 0, 'capability'],
  ['tools', 0, 'version'],
  ['tools', 0, 'tags'],
  ['tools', 0, 'tags', 0],
  ['tools', 0, 'description'],
  ['tools', 0, 'input_schema'],
  ['tools', 0, 'dependencies'],
  ['tools', 0, 'dependencies', 0],
  ['tools', 0, 'dependencies', 0, 'capability'],
  ['tools', 0, 'dependencies', 0, 'tags'],
  ['tools', 0, 'dependencies', 0, 'tags', 2],
  ['tools', 0, 'dependencies', 0, 'tags', 2, 0],
  ['tools', 0, 'dependencies', 0, 'version'],
  ['tools', 0, 'dependencies', 1],
  ['metadata'],
  ['metadata', 'pm_id'],
  ['metadata', 'pid'],
  ['health'],
  ['health', 'status'],
];

const nest = (depth: number, inner: unknown = 1): unknown => {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0,
  1e308,
  65536,
  2 ** 53 + 1,
  '',
  ' ',
  'x'.repeat(300),
  'x'.repeat(70_000),
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '../../etc/passwd',
  '%2F',
  '<script>',
  '${jndi:x}',
  'Ünïcødé ✓ 😀',
  [],
  [null],
  [[]],
  [1, 2],
  {},
  { a: 1 },
  JSON.parse('{"__proto__": {"polluted": 1}}'),
  { constructor: { prototype: { polluted: 1 } } },
  nest(50),
  nest(900),
  '+',
  '-',
  '++a',
  '>=banana',
  '^^1',
  '1.2.3 || || x',
  '>=1.0.0 <',
  '!=',
  'v',
  '*'.repeat(200),
  '>' + '='.repeat(5000),
];

function setPath(target: Record<string, any>, path: (string | number)[], value: unknown, remove: boolean) {
  let node: any = target;
  for (const key of path.slice(0, -1)) node = node[key];
  const last = path[path.length - 1]!;
  if (remove) {
    if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1);
    else delete node[last];
  } else {
    // a copy: the pool's objects must never be linked into (or mutated through) a generated agent
    node[last] = structuredClone(value);
  }
}

function* heartbeatCases(rng: ReturnType<typeof random>): Generator<Case> {
  // every field replaced by every hostile value, and removed
  for (const path of FIELD_PATHS) {
    for (const [i, value] of HOSTILE_VALUES.entries()) {
      const agent = validAgent(`fuzz-${path.join('-')}-${i}`.slice(0, 100).replace(/[^A-Za-z0-9._:-]/g, '_'));
      setPath(agent, path, value, false);
      yield { label: `POST /heartbeat ${path.join('.')} = ${JSON.stringify(value)?.slice(0, 40)}`, bytes: json('POST', '/heartbeat', agent) };
    }
    const agent = validAgent(`fuzz-missing-${path.join('-')}`);
    setPath(agent, path, undefined, true);
    yield { label: `POST /heartbeat without ${path.join('.')}`, bytes: json('POST', '/heartbeat', agent) };
  }
  // random mixes of several broken fields at once
  for (let i = 0; i < 400; i++) {
    const agent = validAgent(`fuzz-mix-${i}`);
    const count = 1 + Math.floor(rng.next() * 4);
    const changes: string[] = [];
    for (let j = 0; j < count; j++) {
      const path = rng.pick(FIELD_PATHS);
      try {
        setPath(agent, path, rng.pick(HOSTILE_VALUES), false);
        changes.push(path.join('.'));
      } catch {
        // the parent was already replaced by a scalar
      }
    }
    yield { label: `POST /heartbeat mix ${changes.join(',')}`, bytes: json('POST', '/heartbeat', agent) };
  }
  // whole bodies that are not an agent
  const bodies: [string, Buffer | string][] = [
    ['empty', ''],
    ['null', 'null'],
    ['number', '42'],
    ['string', '"agent"'],
    ['array', '[]'],
    ['true', 'true'],
    ['bad JSON', '{"agent_id": "x", '],
    ['trailing comma', '{"agent_id": "x",}'],
    ['single quotes', "{'agent_id': 'x'}"],
    ['NaN', '{"agent_id": "x", "http_port": NaN}'],
    ['comment', '{"agent_id": "x" /* hi */}'],
    ['BOM', '\ufeff{"agent_id":"bom-1"}'],
    ['two documents', '{"agent_id":"a"}{"agent_id":"b"}'],
    ['deep array 10k', '['.repeat(10_000) + ']'.repeat(10_000)],
    ['deep object 10k', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)],
    ['deep array 200k unclosed', '['.repeat(200_000)],
    // built as text: JSON.stringify itself recurses and would overflow the stack at this depth
    [
      'deep tags',
      `{"agent_id":"deep-tags","tools":[{"function_name":"f","dependencies":[{"capability":"c","tags":${'['.repeat(5000)}"x"${']'.repeat(5000)}}]}]}`,
    ],
    [
      '1000 tools',
      JSON.stringify({
        ...validAgent('many-tools'),
        tools: Array.from({ length: 1000 }, (_, i) => ({ function_name: `f${i}`, capability: `c${i}` })),
      }),
    ],
    ['1001 tools', JSON.stringify({ ...validAgent('too-many-tools'), tools: Array.from({ length: 1001 }, (_, i) => ({ function_name: `f${i}` })) })],
    ['duplicate keys', '{"agent_id":"dup-1","agent_id":42}'],
    ['proto key', '{"agent_id":"proto-1","__proto__":{"status":"x"}}'],
    ['huge number', '{"agent_id":"num-1","http_port":1' + '0'.repeat(400) + '}'],
    ['lone surrogate escape', '{"agent_id":"\\ud800"}'],
    ['NUL escape', '{"agent_id":"a\\u0000b"}'],
    ['raw control char', '{"agent_id":"a\u0001b"}'],
    ['broken UTF-8 0xff', Buffer.concat([Buffer.from('{"agent_id":"utf-1","name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])],
    ['overlong UTF-8', Buffer.concat([Buffer.from('{"agent_id":"utf-2","name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
    ['cut UTF-8', Buffer.concat([Buffer.from('{"agent_id":"utf-3","name":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')])],
    ['UTF-16 body', Buffer.from('{"agent_id":"utf-4"}', 'utf16le')],
    ['surrogate in UTF-8', Buffer.concat([Buffer.from('{"agent_id":"utf-5","name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
  ];
  for (const [name, body] of bodies) {
    yield { label: `POST /heartbeat body ${name}`, bytes: request('POST', '/heartbeat', { body, headers: { 'content-type': 'application/json' } }) };
  }
  // random garbage bytes
  for (let i = 0; i < 150; i++) {
    const size = Math.floor(rng.next() * 2000);
    const garbage = Buffer.from(Array.from({ length: size }, () => Math.floor(rng.next() * 256)));
    yield {
      label: `POST /heartbeat ${size} random bytes`,
      bytes: request('POST', '/heartbeat', { body: garbage, headers: { 'content-type': 'application/json' } }),
    };
  }
  // random single-byte corruptions of a valid body
  const valid = JSON.stringify(validAgent('corrupt-0'));
  for (let i = 0; i < 250; i++) {
    const bytes = Buffer.from(valid);
    const at = Math.floor(rng.next() * bytes.length);
    bytes[at] = Math.floor(rng.next() * 256);
    yield {
      label: `POST /heartbeat byte ${at} corrupted`,
      bytes: request('POST', '/heartbeat', { body: bytes, headers: { 'content-type': 'application/json' } }),
    };
  }
  // truncations of a valid body
  for (let i = 0; i < 80; i++) {
    const cut = Math.floor(rng.next() * valid.length);
    yield {
      label: `POST /heartbeat truncated at ${cut}`,
      bytes: request('POST', '/heartbeat', { body: valid.slice(0, cut), headers: { 'content-type': 'application/json' } }),
    };
  }
}

function* transportCases(): Generator<Case> {
  const valid = JSON.stringify(validAgent('transport-1'));
  const ct = { 'content-type': 'application/json' };
  // content types
  for (const type of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
    'application/xml',
    '',
    'application/json; charset=utf-16',
    '*/*',
    'application/json\u0000',
  ]) {
    yield {
      label: `POST /heartbeat content-type ${JSON.stringify(type)}`,
      bytes: request('POST', '/heartbeat', { body: valid, headers: { 'content-type': type.replace(/\u0000/g, '') } }),
    };
  }
  yield { label: 'POST /heartbeat without content-type', bytes: request('POST', '/heartbeat', { body: valid }) };
  yield {
    label: 'POST /heartbeat form body',
    bytes: request('POST', '/heartbeat', { body: 'agent_id=x&name=y', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
  };
  yield {
    label: 'POST /heartbeat gzip claimed, plain sent',
    bytes: request('POST', '/heartbeat', { body: valid, headers: { ...ct, 'content-encoding': 'gzip' } }),
  };
  yield {
    label: 'POST /heartbeat unknown encoding',
    bytes: request('POST', '/heartbeat', { body: valid, headers: { ...ct, 'content-encoding': 'br, zstd, x-fuzz' } }),
  };
  // bodies over the limit
  const big = JSON.stringify({ agent_id: 'big-1', description: 'x'.repeat(ONE_MIB + 10) });
  yield { label: 'POST /heartbeat 1 MiB + body', bytes: request('POST', '/heartbeat', { body: big, headers: ct }) };
  yield { label: 'POST /heartbeat 3 MiB body', bytes: request('POST', '/heartbeat', { body: 'x'.repeat(3 * ONE_MIB), headers: ct }) };
  yield {
    label: 'POST /heartbeat declares 10 GB, sends 10 bytes',
    bytes: request('POST', '/heartbeat', { body: '{"a":1}', headers: ct, length: 10_000_000_000 }),
    mayHang: true,
  };
  const chunk = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;
  const bigChunks = Array.from({ length: 24 }, () => chunk('x'.repeat(100_000))).join('');
  yield {
    label: 'POST /heartbeat chunked 2.4 MB without length',
    bytes: request('POST', '/heartbeat', { body: bigChunks + '0\r\n\r\n', headers: { ...ct, 'transfer-encoding': 'chunked' }, length: null }),
  };
  yield {
    label: 'POST /heartbeat chunked valid',
    bytes: request('POST', '/heartbeat', {
      body: chunk(valid.slice(0, 50)) + chunk(valid.slice(50)) + '0\r\n\r\n',
      headers: { ...ct, 'transfer-encoding': 'chunked' },
      length: null,
    }),
  };
  yield {
    label: 'POST /heartbeat chunked bad size',
    bytes: request('POST', '/heartbeat', { body: 'zz\r\nabc\r\n0\r\n\r\n', headers: { ...ct, 'transfer-encoding': 'chunked' }, length: null }),
  };
  yield {
    label: 'POST /heartbeat chunked and content-length',
    bytes: request('POST', '/heartbeat', { body: chunk(valid) + '0\r\n\r\n', headers: { ...ct, 'transfer-encoding': 'chunked' }, length: 5 }),
  };
  // lying or broken Content-Length
  yield {
    label: 'POST /heartbeat length larger than body, then half-close',
    bytes: request('POST', '/heartbeat', { body: valid, headers: ct, length: valid.length + 100 }),
    endAfterWrite: true,
    mayHang: true,
  };
  yield {
    label: 'POST /heartbeat length larger than body, kept open',
    bytes: request('POST', '/heartbeat', { body: valid, headers: ct, length: valid.length + 100 }),
    mayHang: true,
  };
  yield { label: 'POST /heartbeat length smaller than body', bytes: request('POST', '/heartbeat', { body: valid, headers: ct, length: 20 }) };
  yield { label: 'POST /heartbeat length 0 with body', bytes: request('POST', '/heartbeat', { body: valid, headers: ct, length: 0 }) };
  yield { label: 'POST /heartbeat length -1', bytes: request('POST', '/heartbeat', { body: valid, headers: ct, length: -1 }) };
  yield { label: 'POST /heartbeat length abc', bytes: request('POST', '/heartbeat', { body: valid, headers: ct, length: 'abc' }) };
  yield {
    label: 'POST /heartbeat two different lengths',
    bytes: request('POST', '/heartbeat', { body: valid, headers: { ...ct, 'Content-Length': '3' }, length: valid.length }),
  };
  yield {
    label: 'POST /heartbeat no length, no chunking, half-close',
    bytes: request('POST', '/heartbeat', { body: valid, headers: ct, length: null }),
    endAfterWrite: true,
  };
  yield {
    label: 'POST /heartbeat body in slow pieces',
    bytes: [
      request('POST', '/heartbeat', { body: '', headers: ct, length: valid.length }),
      Buffer.from(valid.slice(0, 30)),
      Buffer.from(valid.slice(30)),
    ],
    pauseMs: 50,
  };
  yield {
    label: 'POST /heartbeat body cut, then close',
    bytes: request('POST', '/heartbeat', { body: valid.slice(0, 40), headers: ct, length: valid.length }),
    endAfterWrite: true,
    mayHang: true,
  };
  // malformed HTTP itself (answered by Node's parser, not by Koa)
  yield { label: 'garbage request line', bytes: Buffer.from('HELLO\r\n\r\n') };
  yield { label: 'unknown method FOO', bytes: request('FOO', '/heartbeat') };
  yield { label: 'header without colon', bytes: Buffer.from('GET /health HTTP/1.1\r\nhost fuzz\r\n\r\n') };
  yield { label: 'NUL in header value', bytes: Buffer.from('GET /health HTTP/1.1\r\nhost: fu\u0000zz\r\nconnection: close\r\n\r\n', 'latin1') };
  yield { label: 'request target 20 KB', bytes: request('GET', '/agents/' + 'a'.repeat(20_000)) };
  yield { label: 'header block 64 KB', bytes: request('GET', '/health', { headers: { 'x-big': 'b'.repeat(64_000) } }) };
  yield { label: 'HTTP/0.9 style', bytes: Buffer.from('GET /health\r\n\r\n') };
  yield { label: 'HTTP/2 preface', bytes: Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n') };
  yield { label: 'absolute-form target', bytes: request('GET', 'http://evil.example/agents') };
  yield { label: 'asterisk target', bytes: request('OPTIONS', '*') };
  yield { label: 'target without slash', bytes: request('GET', 'agents') };
}

function* pathAndQueryCases(rng: ReturnType<typeof random>): Generator<Case> {
  const ids = [
    'a%2Fb',
    '%2F',
    '..',
    '%2e%2e',
    '%2e%2e%2fhealth',
    '%00',
    'a%00b',
    '%',
    '%zz',
    '%E0%A4%A',
    '%C0%AF',
    '%FF',
    '%F0%9F%98%80',
    'a'.repeat(129),
    'a'.repeat(5000),
    'Ünï',
    '%C3%9Cn%C3%AF',
    '-leading',
    '.dot',
    'with%20space',
    'a+b',
    'a;b',
    'a?b',
    'a#b',
    '%3Cscript%3E',
    '__proto__',
    'constructor',
    'hasOwnProperty',
    'toString',
    '%5Cu0000',
    "'%20OR%201=1--",
    'null',
    'undefined',
    'x'.repeat(128),
  ];
  for (const id of ids) {
    yield { label: `HEAD /heartbeat/${id.slice(0, 30)}`, bytes: request('HEAD', `/heartbeat/${id}`), head: true };
    yield { label: `DELETE /agents/${id.slice(0, 30)}`, bytes: request('DELETE', `/agents/${id}`) };
    yield { label: `GET /agents/${id.slice(0, 30)}`, bytes: request('GET', `/agents/${id}`) };
    yield { label: `GET /agents/${id.slice(0, 30)}/topology`, bytes: request('GET', `/agents/${id}/topology?wait=0`) };
    yield { label: `POST /heartbeat/${id.slice(0, 30)}`, bytes: json('POST', `/heartbeat/${id}`, validAgent('x-1')) };
  }
  const values = [
    '',
    'abc',
    '-1',
    '0',
    '1',
    '1.5',
    '1e10',
    '1e400',
    'NaN',
    'Infinity',
    '-0',
    '99999999999999999999',
    '0x10',
    '%00',
    '%zz',
    '%',
    'a'.repeat(5000),
    '[]',
    '{}',
    '>=banana',
    '^^1',
    '>=1.0.0',
    ',,,',
    '+',
    '-',
    'healthy',
    'bogus',
    '..%2F',
  ];
  const routes: [string, string[]][] = [
    ['/agents', ['status', 'capability', 'limit']],
    ['/capabilities', ['name', 'tags', 'version']],
    ['/events', ['since', 'limit', 'agent_id', 'type']],
    ['/health', ['x']],
    ['/metrics', ['name']],
    ['/agents/nobody-1/topology', ['hash', 'wait']],
  ];
  for (const [route, params] of routes) {
    for (const param of params) {
      for (const value of values) yield { label: `GET ${route}?${param}=${value.slice(0, 20)}`, bytes: request('GET', `${route}?${param}=${value}`) };
      yield { label: `GET ${route}?${param}[]=x&${param}[]=y`, bytes: request('GET', `${route}?${param}[]=x&${param}[]=y`) };
      yield { label: `GET ${route}?${param}=a&${param}=b`, bytes: request('GET', `${route}?${param}=a&${param}=b`) };
      yield { label: `GET ${route}?${param}[a][b]=1`, bytes: request('GET', `${route}?${param}[a][b]=1`) };
    }
    yield { label: `GET ${route}?%=%`, bytes: request('GET', `${route}?%=%`) };
    yield { label: `GET ${route}?&&&=&=`, bytes: request('GET', `${route}?&&&=&=`) };
    yield { label: `GET ${route}?${'p'.repeat(8000)}`, bytes: request('GET', `${route}?${'p'.repeat(8000)}=1`) };
    yield { label: `GET ${route}?1000 params`, bytes: request('GET', `${route}?${Array.from({ length: 1000 }, (_, i) => `k${i}=v`).join('&')}`) };
  }
  // the SSE stream with bad resume points (a valid one stays open: the exchange ends on the headers)
  for (const value of ['abc', '-1', '1e400', '%00', '99999999999999999999', '']) {
    yield { label: `GET /events/stream?since=${value}`, bytes: request('GET', `/events/stream?since=${value}`) };
    yield { label: `GET /events/stream Last-Event-ID ${value}`, bytes: request('GET', '/events/stream', { headers: { 'last-event-id': value } }) };
  }
  // every method on every route
  const paths = [
    '/heartbeat',
    '/heartbeat/fuzz-1',
    '/agents',
    '/agents/fuzz-1',
    '/agents/fuzz-1/topology',
    '/capabilities',
    '/events',
    '/events/stream',
    '/health',
    '/metrics',
    '/',
    '/nope',
    '/agents/fuzz-1/extra/deep',
  ];
  for (const path of paths) {
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      if (path === '/events/stream' && method === 'GET') continue;
      yield {
        label: `${method} ${path}`,
        bytes: request(
          method,
          path,
          method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {},
        ),
        head: method === 'HEAD',
      };
    }
  }
  // random paths
  const alphabet = "abc/%.-_~:@!$&'()*+,;=?#[]";
  for (let i = 0; i < 150; i++) {
    const length = 1 + Math.floor(rng.next() * 40);
    let path = '/';
    for (let j = 0; j < length; j++) path += rng.pick(alphabet.split(''));
    yield { label: `GET ${path}`, bytes: request(rng.pick(['GET', 'DELETE', 'POST']), path) };
  }
}

// ---------- the run ----------

interface Outcome {
  label: string;
  answer: Answer;
  mayHang: boolean;
  head: boolean;
}

async function runAll(host: string, port: number, cases: Case[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      const c = cases[index]!;
      outcomes[index] = { label: c.label, answer: await exchange(host, port, c), mayHang: c.mayHang === true, head: c.head === true };
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes;
}

/** Methods Node's parser accepts that no route implements (the known-bug test below). */
const UNIMPLEMENTED_METHODS = ['TRACE', 'PROPFIND', 'LOCK', 'SEARCH', 'PURGE'];
const ROUTE_PATHS = ['/heartbeat', '/heartbeat/fuzz-1', '/agents', '/agents/fuzz-1', '/capabilities', '/events', '/health', '/metrics', '/nope'];

/**
 * Node's HTTP parser refuses some bytes before Koa sees a request (bad framing, header overflow, raw non-ASCII in
 * the target) and its default answer is a bare 400/431 with no body and no Content-Type.
 */
const isParserRefusal = (answer: Answer) =>
  (answer.status === 400 || answer.status === 431) && answer.body.length === 0 && answer.headers['content-type'] === undefined;

/** A 4xx answer body must be JSON {error: "<non-empty message>"}. */
function hasJsonError(answer: Answer): boolean {
  try {
    const body = JSON.parse(answer.body.toString('utf8')) as { error?: unknown };
    return typeof body.error === 'string' && body.error.length > 0;
  } catch {
    return false;
  }
}

async function get(host: string, port: number, path: string, method = 'GET', body?: unknown): Promise<{ status: number | null; json: any }> {
  const bytes = body === undefined ? request(method, path) : json(method, path, body);
  const answer = await exchange(host, port, { label: path, bytes, head: method === 'HEAD' });
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(answer.body.toString('utf8'));
  } catch {
    parsed = null;
  }
  return { status: answer.status, json: parsed };
}

test('thousands of malformed requests: no 5xx, every 4xx a JSON {error}, the registry alive and correct after', async (t) => {
  const { registry, host, port, stop } = await startFuzzed();
  t.teardown(stop);
  const rng = random(20261125);
  const cases = [...heartbeatCases(rng), ...transportCases(), ...pathAndQueryCases(rng)];
  const started = Date.now();
  const outcomes = await runAll(host, port, cases);
  const seconds = (Date.now() - started) / 1000;

  const byStatus = new Map<string, number>();
  const serverErrors: string[] = [];
  const withoutJsonError: string[] = [];
  const parserRefusals: string[] = [];
  const unanswered: string[] = [];
  for (const { label, answer, mayHang, head } of outcomes) {
    const key = answer.status === null ? (answer.timedOut ? 'no answer (timeout)' : 'closed without answer') : String(answer.status);
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
    if (answer.status === null) {
      if (!mayHang) unanswered.push(`${label}: ${key}`);
      continue;
    }
    if (answer.status >= 500) serverErrors.push(`${label}: ${answer.status} ${answer.body.toString('utf8').slice(0, 200)}`);
    if (isParserRefusal(answer)) {
      parserRefusals.push(`${label}: ${answer.status}`);
      continue;
    }
    if (answer.status >= 400 && answer.status < 500 && !head && !hasJsonError(answer)) {
      withoutJsonError.push(
        `${label}: ${answer.status} ${JSON.stringify(answer.body.toString('utf8').slice(0, 120))} (${answer.headers['content-type'] ?? 'no content-type'})`,
      );
    }
  }
  const summary = [...byStatus.entries()]
    .sort()
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ');
  t.log(`${outcomes.length} malformed requests in ${seconds.toFixed(1)} s — ${summary}`);
  if (parserRefusals.length) t.log(`refused by Node's HTTP parser before the registry saw them (bare 400/431):\n  ${parserRefusals.join('\n  ')}`);
  if (unanswered.length) t.log(`closed or unanswered (the registry's HTTP parser refusing bytes):\n  ${unanswered.join('\n  ')}`);

  if (serverErrors.length) t.log(`5xx answers:\n  ${serverErrors.join('\n  ')}`);
  if (withoutJsonError.length) t.log(`4xx answers without a JSON {error}:\n  ${withoutJsonError.join('\n  ')}`);
  t.true(outcomes.length >= 3000, `at least 3000 requests (${outcomes.length})`);
  t.deepEqual(serverErrors, [], '5xx answers');
  t.deepEqual(withoutJsonError, [], '4xx answers without a JSON {error}');
  t.true(registry.alive, 'the registry process is still running');
  const internal = registry.lines.map((l) => l.text).filter((line) => /internal error|uncaught|unhandled/i.test(line));
  t.deepEqual(internal, [], 'no internal errors logged');

  // still serving, and serving right
  const health = await get(host, port, '/health');
  t.is(health.status, 200);
  t.is(health.json?.status, 'healthy');
  const provider = {
    ...validAgent('after-provider-1'),
    tools: [{ function_name: 'now', capability: 'after_time', version: '2.1.0', tags: ['fast'] }],
  };
  const consumer = {
    ...validAgent('after-consumer-1'),
    tools: [{ function_name: 'use', capability: 'after_use', dependencies: [{ capability: 'after_time', tags: ['+fast'], version: '^2' }] }],
  };
  t.is((await get(host, port, '/heartbeat', 'POST', provider)).status, 200);
  const registered = await get(host, port, '/heartbeat', 'POST', consumer);
  t.is(registered.status, 200);
  t.deepEqual(registered.json?.dependencies_resolved, {
    use: [{ agent_id: 'after-provider-1', capability: 'after_time', endpoint: 'http://127.0.0.1:9300', function_name: 'now', status: 'available' }],
  });
  t.is((await get(host, port, '/heartbeat/after-consumer-1', 'HEAD')).status, 200);
  const agents = await get(host, port, '/agents');
  t.is(agents.status, 200);
  t.true(((agents.json?.agents ?? []) as { id: string }[]).some((a) => a.id === 'after-consumer-1'));
  t.true(registry.alive);
});

test('with a token: unauthenticated malformed requests get 401 JSON, never 5xx', async (t) => {
  const { registry, host, port, stop } = await startFuzzed(['--token', 'fuzz-secret']);
  t.teardown(stop);
  const rng = random(7);
  const cases = [...heartbeatCases(rng)].filter((_, i) => i % 10 === 0);
  cases.push(
    ...['/agents', '/events', '/health', '/capabilities', '/metrics'].map((path) => ({ label: `GET ${path}`, bytes: request('GET', path) })),
  );
  cases.push({ label: 'bad bearer', bytes: request('GET', '/agents', { headers: { authorization: 'Bearer wrong' } }) });
  cases.push({ label: 'bearer with NUL', bytes: request('GET', '/agents', { headers: { authorization: 'Bearer fuzz-secret\u0000' } }) });
  cases.push({ label: 'long bearer', bytes: request('GET', '/agents', { headers: { authorization: 'Bearer ' + 'x'.repeat(8000) } }) });
  cases.push({ label: 'basic auth', bytes: request('GET', '/agents', { headers: { authorization: 'Basic Zm9vOmJhcg==' } }) });
  const outcomes = await runAll(host, port, cases);
  const statuses = new Map<number | null, number>();
  for (const { answer } of outcomes) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
  t.log(`${outcomes.length} requests without the token: ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')}`);
  for (const { label, answer, head } of outcomes) {
    t.true(answer.status !== null && answer.status < 500, `${label}: ${answer.status}`);
    if (answer.status === 401 && !head) t.true(hasJsonError(answer), `${label}: 401 with JSON {error}`);
  }
  const authorised = await exchange(host, port, {
    label: 'ok',
    bytes: request('GET', '/health', { headers: { authorization: 'Bearer fuzz-secret' } }),
  });
  t.is(authorised.status, 200);
  t.true(registry.alive);
});

// ---------- requests that never reach a route: still a JSON {error}, never a 5xx ----------

test('methods no route implements (TRACE, PROPFIND, LOCK, SEARCH, PURGE) answer a JSON {error} below 500', async (t) => {
  const { host, port, stop } = await startFuzzed();
  t.teardown(stop);
  const cases = ROUTE_PATHS.flatMap((path) => UNIMPLEMENTED_METHODS.map((method) => ({ label: `${method} ${path}`, bytes: request(method, path) })));
  const outcomes = await runAll(host, port, cases);
  const bad = outcomes.filter(({ answer }) => answer.status === null || answer.status >= 500 || !hasJsonError(answer));
  t.log(bad.map(({ label, answer }) => `${label}: ${answer.status} ${answer.body.toString('utf8').slice(0, 80)}`).join('\n'));
  t.deepEqual(
    bad.map(({ label }) => label),
    [],
    'expected 405 (or 501 with a message naming the method) with a JSON {error}',
  );
});

test("requests Node's HTTP parser refuses get a 400/431 with a JSON {error}", async (t) => {
  const { host, port, stop } = await startFuzzed();
  t.teardown(stop);
  const cases: Case[] = [
    { label: 'garbage request line', bytes: Buffer.from('HELLO\r\n\r\n') },
    { label: 'unknown method FOO', bytes: request('FOO', '/heartbeat') },
    { label: 'request target 20 KB', bytes: request('GET', '/agents/' + 'a'.repeat(20_000)) },
    { label: 'raw non-ASCII in the target', bytes: request('GET', '/agents/\u00dc') },
    { label: 'Content-Length abc', bytes: request('POST', '/heartbeat', { body: '{}', length: 'abc' }) },
  ];
  const outcomes = await runAll(host, port, cases);
  for (const { label, answer } of outcomes) {
    t.log(`${label}: ${answer.status} ${JSON.stringify(answer.body.toString('utf8'))} content-type ${answer.headers['content-type'] ?? 'none'}`);
  }
  for (const { label, answer } of outcomes) t.true(answer.status !== null && answer.status < 500 && hasJsonError(answer), label);
});
