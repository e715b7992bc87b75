// pm2-mesh registry: the registry in the foreground, exactly as `node dist/registry/main.js` runs it.
import { REGISTRY_FLAGS, REGISTRY_SUMMARY } from '../../core/registry-flags.js';
import type { Command } from '../args.js';

export const registry: Command = {
  name: 'registry',
  summary: 'Run the registry in the foreground (no PM2): same flags and MCP_MESH_REGISTRY_* variables as node dist/registry/main.js.',
  details: [REGISTRY_SUMMARY],
  // For help and the dispatcher; the registry parses its own arguments, so both entry points take the same.
  options: REGISTRY_FLAGS,
  positionals: { min: 0, max: Infinity },
  ownArguments: true,
  async run({ positionals }) {
    // Loaded on use: the other commands never need the registry's code.
    const { runRegistryForeground } = await import('../../registry/index.js');
    return runRegistryForeground(positionals);
  },
};
