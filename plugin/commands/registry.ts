// pm2-mesh registry: the registry in the foreground, exactly as `node dist/registry/main.js` runs it.
import type { Command } from '../args.js';

export const registry: Command = {
  name: 'registry',
  args: '[--host H] [--port P] [--data-file F] [--token T] [--timeout S] [--health-interval S] [--retention S] [--public-read]',
  summary: 'Run the registry in the foreground (no PM2): same flags and MCP_MESH_REGISTRY_* variables as node dist/registry/main.js.',
  options: {},
  positionals: { min: 0, max: Infinity },
  ownArguments: true,
  async run({ positionals }) {
    // Loaded on use: the other commands never need the registry's code.
    const { runRegistryForeground } = await import('../../registry/index.js');
    return runRegistryForeground(positionals);
  },
};
