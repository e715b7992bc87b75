// pm2-mesh show <agent>: one agent in full: identity, health, PM2 app, tools, dependency wiring.
import type { Command } from '../args.js';
import { findAgent, jsonOption, registryClient, registryOptions } from '../connection.js';
import { paint, paintStatus } from '../../core/text/colour.js';
import { ago } from '../../core/text/time.js';
import { printJson } from '../output.js';
import { renderTable } from '../../core/text/table.js';
import { renderDependencies } from './deps.js';
import { depsLabel, pm2App } from './list.js';

export const show: Command = {
  name: 'show',
  args: '<agent>',
  summary: 'Show one agent: identity, health, PM2 app, tools and capabilities, dependency wiring.',
  details: ['<agent> is an agent id, or a name when one healthy agent has it.'],
  options: { ...registryOptions, ...jsonOption },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const client = registryClient(values);
    const agent = await findAgent(client, positionals[0]!);
    if (values.json) {
      printJson(agent);
      return 0;
    }
    const fields: [string, string][] = [
      ['id', agent.id],
      ['name', agent.name],
      ['version', agent.version ?? '-'],
      ['status', paintStatus(agent.status, agent.status) + (agent.status !== 'healthy' && agent.status_reason ? ` (${agent.status_reason})` : '')],
      ['endpoint', agent.endpoint],
      ['namespace', agent.namespace ?? '-'],
      ['type', [agent.agent_type, agent.runtime].filter(Boolean).join(' / ') || '-'],
      ['pm2 app', pm2App(agent) + (agent.metadata?.pid ? ` (pid ${agent.metadata.pid})` : '')],
      ['registered', agent.created_at ?? '-'],
      ['last seen', ago(agent.last_seen)],
      ['dependencies', depsLabel(agent)],
      ['topology', agent.topology_hash?.slice(0, 12) ?? '-'],
    ];
    if (agent.description) fields.splice(2, 0, ['description', agent.description]);
    const label = Math.max(...fields.map(([key]) => key.length)) + 2;
    let out = fields.map(([key, value]) => `${key.padEnd(label)}${value}`).join('\n') + '\n';
    const tools = agent.capabilities ?? [];
    out += `\n${paint('Tools', 'strong')}\n`;
    out += tools.length
      ? renderTable(
          [{ header: 'TOOL' }, { header: 'CAPABILITY' }, { header: 'VERSION' }, { header: 'TAGS' }, { header: 'DESCRIPTION' }],
          tools.map((tool) => [tool.function_name, tool.name, tool.version ?? '-', (tool.tags ?? []).join(',') || '-', tool.description ?? '']),
        )
      : 'none\n';
    out += `\n${paint('Dependencies', 'strong')}\n`;
    out += renderDependencies(agent);
    process.stdout.write(out);
    return 0;
  },
};
