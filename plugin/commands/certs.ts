// pm2-mesh certs: a local CA and a certificate per name (default: registry, agent) in one command, with the
// variables that turn TLS on. Running it again signs new names with the same CA.
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from '../args.js';
import { issueCertificates } from '../certificates.js';
import { UsageError } from '../errors.js';
import { pm2HomeOption, resolvePm2Home } from '../pm2-home.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const certs: Command = {
  name: 'certs',
  args: '[name…]',
  summary: 'Create a local CA and certificates (default: registry, agent) for a TLS mesh, and print the settings that turn it on.',
  details: [
    'Each certificate is valid for localhost, 127.0.0.1, ::1, this host name and every --host; it serves HTTPS and is a client certificate too.',
    'Example: pm2-mesh certs --host mesh.lan --host 10.0.0.5 registry planner weather',
  ],
  options: {
    dir: { type: 'string', valueName: 'dir', description: 'where the files go (default $PM2_HOME/mesh/tls)' },
    host: { type: 'string', multiple: true, valueName: 'name', description: 'another name or address the certificates are valid for (repeat)' },
    days: { type: 'string', valueName: 'n', description: 'validity of the certificates in days (default 825; the CA: 5 times that)' },
    ...pm2HomeOption,
  },
  positionals: { min: 0, max: 50 },
  async run({ values, positionals }) {
    const names = positionals.length ? positionals : ['registry', 'agent'];
    const bad = names.find((n) => !NAME.test(n) || n === 'ca');
    if (bad) throw new UsageError(`certs: "${bad}" is not a usable name (letters, digits, . _ -; not "ca")`);
    const days = values.days === undefined ? 825 : Number(values.days);
    if (!Number.isInteger(days) || days < 1)
      throw new UsageError(`certs: --days must be a whole number of days >= 1, got ${JSON.stringify(values.days)}`);
    const dir = typeof values.dir === 'string' ? resolve(values.dir) : join(resolvePm2Home(values).dir, 'mesh', 'tls');
    const hosts = [...new Set(['localhost', '127.0.0.1', '::1', hostname(), ...((values.host as string[] | undefined) ?? [])])];
    const issued = await issueCertificates(dir, names, hosts, days);
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`${issued.caCreated ? 'new CA' : 'CA (kept)'}: ${issued.ca}   (its key ca-key.pem, mode 0600, signs more: keep it off the agents' hosts)`);
    for (const c of issued.certificates) out(`${c.name}: ${c.cert} + ${c.key}`);
    out(`valid for: ${hosts.join(', ')}`);
    out('');
    const first = issued.certificates[0]!;
    out(`Turn TLS on (same variables for the registry and every agent; strict = mutual TLS required):`);
    out(`  MCP_MESH_TLS_MODE=strict MCP_MESH_TLS_CA=${issued.ca} MCP_MESH_TLS_CERT=${first.cert} MCP_MESH_TLS_KEY=${first.key}`);
    out(
      `  registry URL: https://…   Under PM2: pm2 set mesh:tls_mode strict; pm2 set mesh:tls_ca ${issued.ca}; pm2 set mesh:tls_cert …; pm2 set mesh:tls_key …`,
    );
    return 0;
  },
};
