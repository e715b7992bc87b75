// The command table and the dispatcher: finds the command word, parses its arguments, prints help.
import { commandHelp, findCommandIndex, parseInvocation, valueOptionNames, type Command } from './args.js';
import { call } from './commands/call.js';
import { certs } from './commands/certs.js';
import { caps } from './commands/caps.js';
import { dash } from './commands/dash.js';
import { deps } from './commands/deps.js';
import { down } from './commands/down.js';
import { events } from './commands/events.js';
import { gateway } from './commands/gateway.js';
import { install, uninstall } from './commands/install.js';
import { list } from './commands/list.js';
import { registry } from './commands/registry.js';
import { shellInit } from './commands/shell-init.js';
import { show } from './commands/show.js';
import { status } from './commands/status.js';
import { token } from './commands/token.js';
import { trace } from './commands/trace.js';
import { up } from './commands/up.js';
import { UsageError } from './errors.js';
import { moduleName, readPackageJson } from './package-info.js';

const commands: Command[] = [
  list,
  show,
  caps,
  deps,
  events,
  call,
  trace,
  status,
  dash,
  gateway,
  registry,
  token,
  certs,
  install,
  uninstall,
  up,
  down,
  shellInit,
];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `pm2-mesh ${readPackageJson().version}: MCP Mesh on PM2. The registry runs as the PM2 module "${moduleName()}"; this CLI reads and uses the mesh.`,
    '',
    'Usage: pm2-mesh <command> [options]      (pm2-mesh <command> --help for its options)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Registry: --registry URL, else env MCP_MESH_REGISTRY_URL, else the module's \`pm2 set ${moduleName()}:host/port\`, else http://127.0.0.1:8000.`,
    'Start everything: pm2-mesh up   Stop: pm2-mesh down   In pm2 itself: eval "$(pm2-mesh shell-init)", then pm2 mesh:dash',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number | null> {
  const valueOptions = new Set(commands.flatMap((c) => [...valueOptionNames(c.options)]));
  const index = findCommandIndex(argv, valueOptions);
  if (index === -1) {
    if (argv.includes('--version') || argv.includes('-v')) {
      process.stdout.write(`${readPackageJson().version}\n`);
      return 0;
    }
    process.stdout.write(overview());
    return argv.length === 0 || argv.includes('--help') || argv.includes('-h') ? 0 : 2;
  }
  const name = argv[index]!;
  const rest = [...argv.slice(0, index), ...argv.slice(index + 1)];
  if (name === 'help') {
    const topic = commands.find((c) => c.name === rest[0]);
    process.stdout.write(topic ? commandHelp(topic) : overview());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command "${name}" (commands: ${commands.map((c) => c.name).join(', ')})`);
  const invocation = parseInvocation(command, rest);
  if (invocation.values.help) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  return command.run(invocation);
}
