// pm2-mesh token create: a credential for one agent (its name and the capabilities it may provide) or for an
// operator, signed with the registry's secret. Printed alone on stdout so that it can be captured:
//   MCP_MESH_REGISTRY_TOKEN=$(pm2-mesh token create --agent weather --capability weather) pm2 start weather.js
import { existsSync } from 'node:fs';
import type { Command } from '../args.js';
import { readOrCreateSecret, secretFileIn, signCredential, type CredentialClaims } from '../../core/credentials.js';
import { UsageError } from '../errors.js';
import { pm2HomeOption, resolvePm2Home } from '../pm2-home.js';

export const token: Command = {
  name: 'token',
  args: 'create',
  summary: "Create an agent's credential (bound to its name and capabilities) or an operator credential, signed with the registry's secret.",
  details: [
    "Under PM2 the secret is the module's ($PM2_HOME/mesh/secret); apps started from ecosystem.config.js get theirs with no step.",
    'Standalone registry: give both the same --secret-file (pm2-mesh registry --secret-file F).',
    'Example: MCP_MESH_REGISTRY_TOKEN=$(pm2-mesh token create --agent weather --capability weather) pm2 start weather.js',
  ],
  options: {
    agent: { type: 'string', valueName: 'name', description: 'the agent name the credential may register' },
    capability: {
      type: 'string',
      multiple: true,
      valueName: 'capability',
      description: 'a capability it may provide (repeat; `prefix*` and `*` match several); none given: any, unless a policy says otherwise',
    },
    operator: { type: 'boolean', description: 'an operator credential instead: reads from other hosts and unregisters, registers nothing' },
    'secret-file': { type: 'string', valueName: 'file', description: "the registry's secret (default: the PM2 module's, in PM2_HOME)" },
    ...pm2HomeOption,
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    if (positionals[0] !== 'create') throw new UsageError(`token: unknown action "${positionals[0]}" (try: pm2-mesh token create --agent NAME)`);
    const agent = typeof values.agent === 'string' ? values.agent.trim() : '';
    const capabilities = (values.capability as string[] | undefined)
      ?.flatMap((c) => c.split(','))
      .map((c) => c.trim())
      .filter(Boolean);
    if (values.operator && (agent || capabilities)) throw new UsageError('token create: --operator takes no --agent or --capability');
    if (!values.operator && !agent) throw new UsageError('token create: name the agent with --agent NAME (or ask for --operator)');
    const file = typeof values['secret-file'] === 'string' ? values['secret-file'] : secretFileIn(resolvePm2Home(values).dir);
    const created = !existsSync(file);
    const claims: CredentialClaims = values.operator ? { role: 'operator' } : { agent, ...(capabilities?.length ? { capabilities } : {}) };
    process.stdout.write(`${signCredential(readOrCreateSecret(file), claims)}\n`);
    if (created) process.stderr.write(`› made a new secret in ${file} (mode 0600): the registry must use the same one\n`);
    return 0;
  },
};
