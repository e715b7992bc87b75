// Whether a command is on PATH: shell-init and `up` name the real pm2 / pm2-mesh only when the shell finds them.
import { accessSync, constants } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export function onPath(command: string, path = process.env.PATH ?? ''): boolean {
  return path.split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** How the user can run this CLI: `pm2-mesh` once installed or linked, else node and the script's path. */
export function cliInvocation(): string {
  if (onPath('pm2-mesh')) return 'pm2-mesh';
  const script = fileURLToPath(new URL('./cli.js', import.meta.url));
  const shown = relative(process.cwd(), script);
  return `node ${shown.startsWith('..') ? script : shown}`;
}
