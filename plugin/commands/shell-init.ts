// pm2-mesh shell-init: PM2 has no plugin commands, so a shell function named pm2 sends `pm2 mesh:<cmd>`
// to pm2-mesh and everything else to the real pm2. For bash and zsh: eval "$(pm2-mesh shell-init)".
import { fileURLToPath } from 'node:url';
import type { Command } from '../args.js';
import { moduleName } from '../package-info.js';
import { pm2BinPath } from '../pm2.js';
import { onPath } from '../which.js';

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export function shellFunction(): string {
  const node = quote(process.execPath);
  const cli = quote(fileURLToPath(new URL('../cli.js', import.meta.url)));
  // `command pm2` skips this function; without a pm2 on PATH, the one this package depends on is used.
  const realPm2 = onPath('pm2') ? 'command pm2 "$@"' : `${node} ${quote(pm2BinPath())} "$@"`;
  const prefix = `${moduleName()}:`;
  return [
    `# pm2-mesh: \`pm2 ${prefix}<command>\` runs \`pm2-mesh <command>\` (pm2 ${prefix}dash, pm2 ${prefix}list, …); the rest goes to pm2.`,
    '# Install: add  eval "$(pm2-mesh shell-init)"  to ~/.bashrc or ~/.zshrc',
    'pm2() {',
    '  case "$1" in',
    `    ${prefix}*)`,
    `      local mesh_command="\${1#${prefix}}"`,
    '      shift',
    `      ${node} ${cli} "\${mesh_command:-help}" "$@"`,
    '      ;;',
    '    *)',
    `      ${realPm2}`,
    '      ;;',
    '  esac',
    '}',
    '',
  ].join('\n');
}

export const shellInit: Command = {
  name: 'shell-init',
  summary: 'Print a bash/zsh function so that `pm2 mesh:<command>` runs `pm2-mesh <command>` (e.g. pm2 mesh:dash).',
  details: ['Usage: eval "$(pm2-mesh shell-init)"   (add it to ~/.bashrc or ~/.zshrc)'],
  options: {},
  positionals: { min: 0, max: 0 },
  async run() {
    process.stdout.write(shellFunction());
    return 0;
  },
};
