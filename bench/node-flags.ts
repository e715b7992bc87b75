// The V8 flags PM2 starts the module with (package.json apps[0].node_args): the bench starts our registry and its
// agents with the same ones, so that the memory rows are what `pm2 monit` shows, and says which were in effect.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function moduleNodeFlags(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { apps?: Array<{ node_args?: string }> };
  return (pkg.apps?.[0]?.node_args ?? '').split(/\s+/).filter(Boolean);
}
