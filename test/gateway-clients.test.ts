// The gateway with clients nobody here wrote: the SDK's Client over stdio (a host launching `pm2-mesh gateway
// --stdio`) and MCP Inspector's CLI (installed on demand outside the package), over HTTP and stdio; and what keeps the
// gateway safe and focused: its bearer token, the Host/Origin checks, the filters, and flags that make no sense.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { connectWatching, startGateway, toolNames } from './support/gateway.js';
import { startExampleMesh, type ExampleMesh } from './support/mesh.js';
import { CLI, childEnv, stopAll } from './support/processes.js';

const run = promisify(execFile);
const INSPECTOR_VERSION = '1.0.3';
/** Outside the package, kept between runs: installed once per machine. */
const INSPECTOR_HOME = join(tmpdir(), `pm2-mesh-test-inspector-cli-${INSPECTOR_VERSION}`);
const INSPECTOR_BUILD = join(INSPECTOR_HOME, 'node_modules', '@modelcontextprotocol', 'inspector-cli', 'build');

let mesh: ExampleMesh;
let stdioPids: number[] = [];

test.before(async () => {
  mesh = await startExampleMesh();
});

test.after.always(async () => {
  for (const pid of stdioPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await stopAll();
});

/** MCP Inspector's CLI, installed with npm into a cache folder the first time. */
async function inspector(args: string[]): Promise<unknown> {
  if (!existsSync(join(INSPECTOR_BUILD, 'index.js'))) {
    await run('npm', ['install', '--prefix', INSPECTOR_HOME, '--no-audit', '--no-fund', `@modelcontextprotocol/inspector-cli@${INSPECTOR_VERSION}`], {
      timeout: 180_000,
    });
  }
  // Run from inside its build folder, as its README does.
  const { stdout } = await run(process.execPath, ['index.js', ...args], { cwd: INSPECTOR_BUILD, env: childEnv(), timeout: 60_000 });
  return JSON.parse(stdout);
}

const planTrip = (result: any) => result.structuredContent as { city: string; weather: { clock: string } };

test.serial("the SDK's Client over stdio lists the mesh's tools and calls the chain; logs go to stderr", async (t) => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'gateway', '--stdio', '--registry', mesh.registry.url],
    env: childEnv() as Record<string, string>,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'stdio-host', version: '1.0.0' });
  await client.connect(transport);
  stdioPids.push(transport.pid!);
  t.deepEqual(await toolNames(client), ['forecast', 'hello', 'now', 'packing_list', 'plan_trip']);
  const plan = planTrip(await client.callTool({ name: 'plan_trip', arguments: { city: 'Lisbon' } }));
  t.is(plan.weather.clock, 'time_service');
  await client.close();
  t.regex(stderr, /\[mesh\] gateway serving MCP on stdio \(registry http:\/\/127\.0\.0\.1:\d+, 5 tools\)/);
});

test.serial("MCP Inspector's CLI lists and calls through the gateway over HTTP, with the gateway's token", async (t) => {
  const gateway = await startGateway(['--registry', mesh.registry.url, '--token', 's3cret']);
  const auth = ['--header', 'Authorization: Bearer s3cret'];
  const listed = (await inspector([gateway.url, '--transport', 'http', ...auth, '--method', 'tools/list'])) as { tools: { name: string }[] };
  t.deepEqual(listed.tools.map((tool) => tool.name).sort(), ['forecast', 'hello', 'now', 'packing_list', 'plan_trip']);
  const called = await inspector([
    gateway.url,
    '--transport',
    'http',
    ...auth,
    '--method',
    'tools/call',
    '--tool-name',
    'plan_trip',
    '--tool-arg',
    'city=Oslo',
  ]);
  t.is(planTrip(called).city, 'Oslo');
  t.is(planTrip(called).weather.clock, 'time_service');
  // Without the token: refused before anything MCP happens.
  await t.throwsAsync(inspector([gateway.url, '--transport', 'http', '--method', 'tools/list']));
  await gateway.stop();
});

test.serial("MCP Inspector's CLI launches the gateway over stdio and calls the chain", async (t) => {
  const called = await inspector([
    process.execPath,
    CLI,
    'gateway',
    '--stdio',
    '--registry',
    mesh.registry.url,
    '--method',
    'tools/call',
    '--tool-name',
    'plan_trip',
    '--tool-arg',
    'city=Porto',
  ]);
  t.is(planTrip(called).city, 'Porto');
  t.is(planTrip(called).weather.clock, 'time_service');
});

/** A raw request, so that Host and Origin can be anything. */
function raw(url: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: body ? 'POST' : 'GET', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: /json/.test(res.headers['content-type'] ?? '') ? JSON.parse(text) : text, headers: res.headers }),
        );
      },
    );
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

test.serial('the token is required from every client; a wrong one is refused', async (t) => {
  const gateway = await startGateway(['--registry', mesh.registry.url, '--token', 'tok-123']);
  const missing = await raw(gateway.url, {}, initialize);
  t.is(missing.status, 401);
  t.is(missing.headers['www-authenticate'], 'Bearer realm="pm2-mesh gateway"');
  t.regex(missing.body.error, /bearer token/);
  t.is((await raw(gateway.url, { authorization: 'Bearer tok-124' }, initialize)).status, 401);
  t.is((await raw(gateway.healthUrl, {})).status, 401);
  const { client } = await connectWatching(gateway.url, { authorization: 'Bearer tok-123' });
  t.true((await toolNames(client)).includes('plan_trip'));
  await client.close();
  await gateway.stop();
});

test.serial('what a web page could send is refused: a foreign Host (DNS rebinding), a foreign Origin, a form POST', async (t) => {
  const gateway = await startGateway(['--registry', mesh.registry.url]);
  const foreignHost = await raw(gateway.url, { host: 'evil.example:8001' }, initialize);
  t.is(foreignHost.status, 421);
  t.regex(foreignHost.body.error, /Host "evil\.example:8001" is not a name this server answers to/);
  const foreignOrigin = await raw(gateway.url, { origin: 'http://evil.example' }, initialize);
  t.is(foreignOrigin.status, 403);
  t.regex(foreignOrigin.body.error, /Origin "http:\/\/evil\.example" may not/);
  const form = await raw(gateway.url, { 'content-type': 'text/plain' }, initialize);
  t.is(form.status, 415);
  t.is((await raw(gateway.url, {}, initialize)).status, 200);
  await gateway.stop();
  const allowing = await startGateway(['--registry', mesh.registry.url, '--allowed-hosts', 'mesh.internal,other.internal']);
  t.is((await raw(allowing.url, { host: 'mesh.internal:8001' }, initialize)).status, 200);
  await allowing.stop();
});

test.serial('filters: --capability and --exclude choose tools, --tag chooses providers', async (t) => {
  const only = await startGateway(['--registry', mesh.registry.url, '--capability', 'trip_*', '--capability', 'weather']);
  const a = await connectWatching(only.url);
  t.deepEqual(await toolNames(a.client), ['forecast', 'plan_trip']);
  await a.client.close();
  await only.stop();

  const without = await startGateway(['--registry', mesh.registry.url, '--exclude', 'greeting', '--exclude', 'packing_*']);
  const b = await connectWatching(without.url);
  t.deepEqual(await toolNames(b.client), ['forecast', 'now', 'plan_trip']);
  await b.client.close();
  await without.stop();

  // A required tag keeps only providers that have it: weather-fast, the only provider tagged fast.
  const fast = await startGateway(['--registry', mesh.registry.url, '--tag', 'fast']);
  const c = await connectWatching(fast.url);
  t.deepEqual(await toolNames(c.client), ['forecast']);
  const result = await c.client.callTool({ name: 'forecast', arguments: { city: 'Rome' } });
  t.is((result.structuredContent as { source: string }).source, 'weather-fast');
  await c.client.close();
  await fast.stop();

  // An excluded tag: weather-fast is out, weather-precise serves (the gateway's default ranking picks it anyway).
  const precise = await startGateway(['--registry', mesh.registry.url, '--tag=-fast', '--capability', 'weather']);
  const d = await connectWatching(precise.url);
  const served = await d.client.callTool({ name: 'forecast', arguments: { city: 'Rome' } });
  t.is((served.structuredContent as { source: string }).source, 'weather-precise');
  await d.client.close();
  await precise.stop();
});

const badFlags: [string[], RegExp][] = [
  [['--port', '70000'], /--port must be a port number 0-65535/],
  [['--port', 'eighty'], /--port must be an integer/],
  [['--stdio', '--port', '8001'], /--port makes no sense with --stdio/],
  [['--stdio', '--token', 'x'], /--token makes no sense with --stdio/],
  [['--stdio', '--allowed-hosts', 'x'], /--allowed-hosts makes no sense with --stdio/],
  [['--tag', '+'], /--tag "\+": "\+" has no tag name/],
  [['--capability', 'weather', '--exclude', 'weather'], /--exclude weather removes what --capability weather asks for/],
  [['--registry', 'ftp://somewhere'], /--registry must be an http\(s\) URL/],
  [['--timeout', '0'], /--timeout must be a number > 0/],
  [['--bogus'], /unknown option --bogus/],
];

for (const [args, message] of badFlags) {
  test(`pm2-mesh gateway ${args.join(' ')}: exit 2 naming the flag`, async (t) => {
    const error = await t.throwsAsync(run(process.execPath, [CLI, 'gateway', ...args], { env: childEnv(), timeout: 20_000 }));
    const failed = error as unknown as { code: number; stderr: string; stdout: string };
    t.is(failed.code, 2, failed.stderr);
    t.regex(failed.stderr, message);
    t.is(failed.stdout, '');
  });
}
