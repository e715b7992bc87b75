// The entry of a dependency no provider answers. Apart from the resolver so that an agent's wiring can name one
// without loading semver (the resolver's dependency) into every agent.
import type { ResolvedDependency } from './wire.js';

export function unresolvedEntry(capability: string): ResolvedDependency {
  return { agent_id: '', capability, endpoint: '', function_name: '', status: 'unresolved' };
}
