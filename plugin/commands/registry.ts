// pm2-mesh registry: the registry in the foreground, exactly as `node dist/registry/main.js` runs it.
import type { Command } from '../args.js';
import { runRegistryForeground } from '../../registry/index.js';

export const registry: Command = {
  name: 'registry',
  args: '[--host H] [--port P] [--data-file F] [--token T] [--timeout S] [--health-interval S] [--retention S] [--public-read]',
  summary: 'Run the registry in the foreground (no PM2): same flags and MCP_MESH_REGISTRY_* variables as node dist/registry/main.js.',
  options: {},
  positionals: { min: 0, max: Infinity },
  ownArguments: true,
  run({ positionals }) {
    return runRegistryForeground(positionals);
  },
};
