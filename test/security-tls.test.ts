// A TLS mesh as a user would set one up: `pm2-mesh certs` makes a CA and certificates, the registry and two agent
// processes run with MCP_MESH_TLS_MODE=strict (mutual TLS), a chained call greeter → time-service goes over HTTPS
// with client certificates; an agent whose certificate comes from another CA is refused by the registry and peers.
import test from 'ava';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { RegistryClient } from '../core/registry-client.js';
import { meshFetch, useMeshTls } from '../runtime/mesh-fetch.js';
import { startAgent } from './support/agents.js';
import { stopAll, tempDir } from './support/processes.js';
import { cli } from './support/pm2.js';
import { runRegistryToExit, spawnRegistry, startRegistry } from './support/registry.js';
import { waitFor } from './support/wait.js';

test.after.always(stopAll);

/** An HTTPS request with exactly these TLS credentials: the status, or the handshake's error code. */
function probe(url: string, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { ...tls, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

test('a TLS mesh from pm2-mesh certs: chained call over mutual TLS; a certificate from another CA is refused', async (t) => {
  t.timeout(120_000);
  const { dir, remove } = tempDir('mesh-tls-');
  t.teardown(remove);
  const ours = join(dir, 'ours');
  const theirs = join(dir, 'theirs');
  for (const [folder, names] of [
    [ours, ['registry', 'agent']],
    [theirs, ['agent']],
  ] as const) {
    const made = await cli(dir, ['certs', '--dir', folder, ...names]);
    t.is(made.code, 0, made.stderr);
  }
  t.regex((await cli(dir, ['certs', '--dir', ours, 'agent'])).stdout, /CA \(kept\)/, 'running it again keeps the CA');
  const file = (folder: string, name: string) => readFileSync(join(folder, name));
  const ca = file(ours, 'ca.pem');
  const agentCert = { ca, cert: file(ours, 'agent.pem'), key: file(ours, 'agent-key.pem') };
  const foreignCert = { ca, cert: file(theirs, 'agent.pem'), key: file(theirs, 'agent-key.pem') };

  const registry = await startRegistry({
    tls: { mode: 'strict', ca: join(ours, 'ca.pem'), cert: join(ours, 'registry.pem'), key: join(ours, 'registry-key.pem') },
  });
  t.teardown(() => registry.close());
  t.regex(registry.url, /^https:\/\//);

  // The handshake decides: no certificate, or one from another CA, gets no answer at all; ours gets one.
  t.is(await probe(`${registry.url}/health`, agentCert), 200);
  t.not(await probe(`${registry.url}/health`, { ca }), 200);
  t.not(await probe(`${registry.url}/health`, foreignCert), 200);

  const tlsEnv = (folder: string) => ({
    MCP_MESH_REGISTRY_URL: registry.url,
    MCP_MESH_TLS_MODE: 'strict',
    MCP_MESH_TLS_CA: join(ours, 'ca.pem'),
    MCP_MESH_TLS_CERT: join(folder, 'agent.pem'),
    MCP_MESH_TLS_KEY: join(folder, 'agent-key.pem'),
  });
  const time = await startAgent('time-service', tlsEnv(ours));
  const greeter = await startAgent('greeter', tlsEnv(ours));
  t.regex(time.endpoint, /^https:\/\//);

  const client = new RegistryClient({ url: registry.url, tls: agentCert });
  const wired = await waitFor('greeter wired to time-service over https', async () => {
    const { agents } = await client.agents();
    const g = agents.find((a) => a.id === greeter.agentId);
    return g?.dependency_resolutions?.find((d) => d.capability === 'time_service' && d.status === 'available' && d.endpoint?.startsWith('https://'));
  });
  t.is(wired.endpoint, time.endpoint);

  // An MCP client with a certificate of the mesh calls greeter, which calls time-service: both hops mutual TLS.
  useMeshTls(agentCert);
  const mcp = new Client({ name: 'tls-test', version: '1.0.0' });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(greeter.mcpUrl), { fetch: meshFetch }));
  t.teardown(() => mcp.close());
  const result = (await mcp.callTool({ name: 'hello', arguments: { name: 'tls' } })) as { content: { text: string }[] };
  t.regex(result.content[0]!.text, /^Hello tls, it is \d{4}-\d\d-\d\dT/, 'the time came from time-service over https');

  // Peers refuse what the registry refuses.
  t.is(await probe(`${time.endpoint}/health`, agentCert), 200);
  t.not(await probe(`${time.endpoint}/health`, foreignCert), 200);
  t.not(await probe(`${time.endpoint}/health`, { ca }), 200);

  // An agent holding a certificate from another CA never gets in.
  const rogue = await startAgent('time-service', { ...tlsEnv(theirs), MCP_MESH_AGENT_NAME: 'rogue-time' });
  await rogue.waitForLine(/heartbeat failed/);
  const { agents } = await client.agents();
  t.false(
    agents.some((a) => a.id === rogue.agentId),
    'the rogue agent is not registered',
  );
  t.deepEqual(
    agents.map((a) => a.status),
    ['healthy', 'healthy'],
  );
});

test('TLS mode auto: HTTPS without a client certificate is served; one from another CA is refused with 403 JSON', async (t) => {
  const { dir, remove } = tempDir('mesh-tls-auto-');
  t.teardown(remove);
  await cli(dir, ['certs', '--dir', join(dir, 'ours'), 'registry', 'agent']);
  await cli(dir, ['certs', '--dir', join(dir, 'theirs'), 'agent']);
  const ours = (name: string) => join(dir, 'ours', name);
  const registry = await startRegistry({ tls: { mode: 'auto', ca: ours('ca.pem'), cert: ours('registry.pem'), key: ours('registry-key.pem') } });
  t.teardown(() => registry.close());
  const ca = readFileSync(ours('ca.pem'));
  t.is(await probe(`${registry.url}/health`, { ca }), 200);
  const foreign = new RegistryClient({
    url: registry.url,
    tls: { ca, cert: readFileSync(join(dir, 'theirs', 'agent.pem')), key: readFileSync(join(dir, 'theirs', 'agent-key.pem')) },
  });
  const error = await t.throwsAsync(foreign.health());
  t.regex(error!.message, /403.*client certificate not trusted.*signed by the mesh's CA/);
  // Plain HTTP to an HTTPS registry gets nothing useful either.
  t.not(
    await fetch(registry.url.replace('https:', 'http:') + '/health').then(
      (r) => r.status,
      () => 0,
    ),
    200,
  );
});

test('the foreground registry takes --tls-* flags and MCP_MESH_TLS_* variables', async (t) => {
  const { dir, remove } = tempDir('mesh-tls-flags-');
  t.teardown(remove);
  await cli(dir, ['certs', '--dir', dir, 'registry', 'agent']);
  const registry = await spawnRegistry({
    args: ['--tls-cert', join(dir, 'registry.pem'), '--tls-key', join(dir, 'registry-key.pem'), '--tls-ca', join(dir, 'ca.pem')],
    env: { MCP_MESH_TLS_MODE: 'strict' },
  });
  t.teardown(() => registry.stop());
  t.regex(registry.url, /^https:\/\//);
  const ca = readFileSync(join(dir, 'ca.pem'));
  t.is(await probe(`${registry.url}/health`, { ca, cert: readFileSync(join(dir, 'agent.pem')), key: readFileSync(join(dir, 'agent-key.pem')) }), 200);
  t.not(await probe(`${registry.url}/health`, { ca }), 200, 'strict, from the variable: no answer without a client certificate');
  const bad = await runRegistryToExit([
    '--port',
    '0',
    '--tls-mode',
    'strict',
    '--tls-cert',
    join(dir, 'registry.pem'),
    '--tls-key',
    join(dir, 'registry-key.pem'),
  ]);
  t.not(bad.code, 0);
  t.regex(bad.output, /TLS mode strict needs the CA .*MCP_MESH_TLS_CA/);
});
