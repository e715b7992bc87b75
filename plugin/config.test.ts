import test from 'ava';
import { ConfigError, dataFilePath, readModuleConfig } from './config.js';

const defaults = { port: '8000', host: '127.0.0.1', data_file: '', health_interval: '10', timeout: '20', retention: '3600', token: '' };

test('package defaults apply when PM2 passes nothing', (t) => {
  t.deepEqual(readModuleConfig('mesh', {}, defaults, '/home/u/.pm2'), {
    host: '127.0.0.1',
    port: 8000,
    dataFile: '/home/u/.pm2/mesh/registry.db',
    databaseUrl: null,
    healthInterval: 10,
    timeout: 20,
    retention: 3600,
    token: undefined,
    allowedHosts: [],
    allowedOrigins: [],
    secretFile: '/home/u/.pm2/mesh/secret',
  });
});

test('security settings: allowed hosts as a list, agent credentials unless auth is off, policies, flood limits', (t) => {
  const env = {
    mesh: JSON.stringify({
      allowed_hosts: 'mesh.lan, 10.0.0.5',
      policies: 'weather=weather',
      policy_file: 'policies.json',
      max_agents: '500',
      registration_rate: '0',
    }),
  };
  const config = readModuleConfig('mesh', env, defaults, '/p');
  t.deepEqual(config.allowedHosts, ['mesh.lan', '10.0.0.5']);
  t.is(config.secretFile, '/p/mesh/secret');
  t.is(config.policies, 'weather=weather');
  t.is(config.policyFile, '/p/policies.json');
  t.is(config.maxAgents, 500);
  t.is(config.registrationRate, 0);
  t.is(readModuleConfig('mesh', { mesh: '{"auth":"off"}' }, defaults, '/p').secretFile, undefined);
  t.throws(() => readModuleConfig('mesh', { mesh: '{"auth":"off","host":"0.0.0.0"}' }, defaults, '/p'), {
    message: /mesh:host 0\.0\.0\.0 with mesh:auth off and no mesh:token: .*pm2 set mesh:auth agents/,
  });
  t.is(readModuleConfig('mesh', { mesh: '{"host":"0.0.0.0"}' }, defaults, '/p').secretFile, '/p/mesh/secret', 'agent credentials make it safe');
  t.throws(() => readModuleConfig('mesh', { mesh: '{"auth":"maybe"}' }, defaults, '/p'), {
    message: /mesh:auth must be "agents".*pm2 set mesh:auth agents/,
  });
  t.throws(() => readModuleConfig('mesh', { mesh: '{"max_agents":"-1"}' }, defaults, '/p'), { message: /mesh:max_agents must be a whole number/ });
});

test('the module JSON (strings, as pm2 set stores them) wins over per-key variables and defaults', (t) => {
  const env = { mesh: JSON.stringify({ port: '8123', token: 's3cret', timeout: '7.5' }), port: '9999', host: '0.0.0.0' };
  const config = readModuleConfig('mesh', env, defaults, '/p');
  t.is(config.port, 8123);
  t.is(config.host, '0.0.0.0');
  t.is(config.token, 's3cret');
  t.is(config.timeout, 7.5);
});

test('a bad value names the key and the pm2 set command that fixes it', (t) => {
  const error = t.throws(() => readModuleConfig('mesh', { mesh: '{"port":"eighty"}' }, defaults, '/p'), { instanceOf: ConfigError });
  t.regex(error.message, /mesh:port must be a port number 1-65535 \(got "eighty"\); fix it with: pm2 set mesh:port 8000/);
  t.throws(() => readModuleConfig('mesh', { mesh: '{"timeout":"0"}' }, defaults, '/p'), { message: /mesh:timeout/ });
  t.throws(() => readModuleConfig('mesh', { mesh: 'not json' }, defaults, '/p'), { message: /not JSON/ });
});

test('data_file: empty → under PM2_HOME, relative → against PM2_HOME, :memory: → none', (t) => {
  t.is(dataFilePath('', '/h'), '/h/mesh/registry.db');
  t.is(dataFilePath('data/r.db', '/h'), '/h/data/r.db');
  t.is(dataFilePath('/var/lib/r.db', '/h'), '/var/lib/r.db');
  t.is(dataFilePath(':memory:', '/h'), null);
});

test('database_url: a postgres:// URL selects PostgreSQL instead of the data file; anything else names the fix', (t) => {
  const config = readModuleConfig('mesh', { mesh: JSON.stringify({ database_url: 'postgres://mesh@db:5432/mesh' }) }, defaults, '/p');
  t.is(config.databaseUrl, 'postgres://mesh@db:5432/mesh');
  t.is(config.dataFile, null);
  const error = t.throws(() => readModuleConfig('mesh', { mesh: JSON.stringify({ database_url: 'registry.db' }) }, defaults, '/p'), {
    instanceOf: ConfigError,
  });
  t.regex(error!.message, /mesh:database_url must be a postgres:\/\/ URL .*pm2 set mesh:database_url postgres:\/\//);
});
