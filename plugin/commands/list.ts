// pm2-mesh list: every agent the registry knows, one line each.
import type { Command } from '../args.js';
import { jsonOption, registryClient, registryOptions } from '../connection.js';
import { paintStatus } from '../../core/text/colour.js';
import { pm2Label } from '../../core/text/pm2-label.js';
import { ago } from '../../core/text/time.js';
import type { AgentView } from '../../core/wire.js';
import { renderTable } from '../../core/text/table.js';
import { printJson } from '../output.js';
import { currentAgents } from '../../core/past-instances.js';

/** The agent's PM2 app, `name#pm_id`, from the metadata the runtime reports under PM2. */
export function pm2App(agent: AgentView): string {
  const meta = agent.metadata;
  return pm2Label(meta ? { name: meta.pm2_name, pmId: meta.pm_id, workers: agent.workers?.map((w) => w.pm_id) } : null);
}

export function depsLabel(agent: AgentView): string {
  const total = agent.total_dependencies ?? agent.dependency_resolutions?.length ?? 0;
  const resolved = agent.dependencies_resolved ?? agent.dependency_resolutions?.filter((d) => d.status === 'available').length ?? 0;
  return `${resolved}/${total}`;
}

export const list: Command = {
  name: 'list',
  summary: 'List the agents registered in the mesh: status, endpoint, capabilities, dependencies resolved/total, PM2 app.',
  options: {
    ...registryOptions,
    ...jsonOption,
    status: { type: 'string', valueName: 'status', description: 'only agents with this status (healthy, unhealthy, unknown)' },
    all: { type: 'boolean', description: 'past instances too: unhealthy agents whose name another agent now serves (as meshctl list --all)' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const client = registryClient(values);
    const answer = await client.agents();
    const status = typeof values.status === 'string' ? values.status : undefined;
    const { shown, hidden } = values.all ? { shown: answer.agents, hidden: 0 } : currentAgents(answer.agents);
    const agents = status ? shown.filter((agent) => agent.status === status) : shown;
    if (values.json) {
      printJson(status || hidden ? { ...answer, agents, count: agents.length } : answer);
      return 0;
    }
    const note = hidden ? `${hidden} past instance${hidden === 1 ? '' : 's'} hidden (--all shows them)\n` : '';
    if (!agents.length) {
      process.stdout.write(`no agents${status ? ` with status ${status}` : ''} at ${client.baseUrl}\n${note}`);
      return 0;
    }
    const rows = [...agents]
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
      .map((agent) => [
        agent.name,
        agent.id,
        agent.status,
        agent.endpoint,
        (agent.capabilities ?? []).map((c) => c.name).join(','),
        depsLabel(agent),
        pm2App(agent),
        ago(agent.last_seen),
      ]);
    process.stdout.write(
      renderTable(
        [
          { header: 'NAME' },
          { header: 'ID' },
          { header: 'STATUS', style: paintStatus },
          { header: 'ENDPOINT' },
          { header: 'CAPABILITIES' },
          { header: 'DEPS', align: 'right' },
          { header: 'PM2' },
          { header: 'LAST SEEN' },
        ],
        rows,
      ),
    );
    if (note) process.stderr.write(note);
    return 0;
  },
};
