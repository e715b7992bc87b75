// pm2-mesh status: the registry's health, its agents by status, and the PM2 state of each agent's app.
import type { Command, Values } from '../args.js';
import { jsonOption, registryClient, registryOptions } from '../connection.js';
import { CliError, toCliError } from '../errors.js';
import { paint, paintStatus } from '../../core/text/colour.js';
import { duration } from '../../core/text/time.js';
import { printJson } from '../output.js';
import { moduleName } from '../package-info.js';
import { listPm2Processes, type Pm2Process } from '../pm2.js';
import { pm2HomeOption, resolvePm2Home } from '../pm2-home.js';
import type { AgentView, HealthResponse } from '../../core/wire.js';
import { renderTable } from '../../core/text/table.js';
import { pm2Label } from '../../core/text/pm2-label.js';
import { currentAgents } from '../../core/past-instances.js';

export interface AgentState {
  id: string;
  name: string;
  status: string;
  status_reason?: string | null;
  endpoint: string;
  /** Its app's processes; for a cluster app (several workers, one agent) `workers` lists their pm_ids. */
  pm2: { name: string; pm_id: number; workers?: number[]; status: string; restarts: number; uptime_seconds?: number } | null;
}

export interface MeshStatus {
  registry: { url: string; reachable: boolean; error?: string; health?: HealthResponse };
  pm2: { home: string; daemon: boolean; module: Pm2Process | null; error?: string };
  agents: AgentState[];
  /** Past instances left out (without --all): unhealthy agents whose name another agent now serves. */
  hidden_past_instances: number;
}

export async function collectStatus(values: Values): Promise<MeshStatus> {
  const client = registryClient(values, 5000);
  const home = resolvePm2Home(values).dir;
  const status: MeshStatus = {
    registry: { url: client.baseUrl, reachable: false },
    pm2: { home, daemon: false, module: null },
    agents: [],
    hidden_past_instances: 0,
  };
  let agents: AgentView[] = [];
  try {
    status.registry.health = await client.health();
    status.registry.reachable = true;
    agents = (await client.agents()).agents;
  } catch (error) {
    status.registry.error = (toCliError(error) as Error).message;
  }
  let processes: Pm2Process[] | undefined;
  try {
    processes = await listPm2Processes(home);
  } catch (error) {
    status.pm2.error = (error as Error).message;
  }
  status.pm2.daemon = processes !== undefined;
  status.pm2.module = processes?.find((p) => p.module && p.name === moduleName()) ?? null;
  const now = Date.now();
  if (!values.all) {
    const current = currentAgents(agents);
    agents = current.shown;
    status.hidden_past_instances = current.hidden;
  }
  const uptime = (p: Pm2Process) => (p.status === 'online' && p.started_at ? Math.round((now - p.started_at) / 1000) : undefined);
  status.agents = agents
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
    .map((agent) => {
      const pmIds = agent.workers?.length ? agent.workers.map((w) => w.pm_id) : agent.metadata?.pm_id !== undefined ? [agent.metadata.pm_id] : [];
      const apps = (processes ?? []).filter((p) => !p.module && pmIds.includes(p.pm_id));
      const first = apps[0];
      const online = apps.filter((p) => p.status === 'online').length;
      const uptimes = apps.map(uptime).filter((u): u is number => u !== undefined);
      return {
        id: agent.id,
        name: agent.name,
        status: agent.status,
        status_reason: agent.status_reason,
        endpoint: agent.endpoint,
        pm2: first
          ? {
              name: first.name,
              pm_id: first.pm_id,
              ...(apps.length > 1 ? { workers: apps.map((p) => p.pm_id) } : {}),
              // A cluster app: `online` when every worker is, else how many of them are.
              status: apps.length > 1 && online !== apps.length ? `online ${online}/${apps.length}` : first.status,
              restarts: apps.reduce((sum, p) => sum + p.restarts, 0),
              uptime_seconds: uptimes.length ? Math.min(...uptimes) : undefined,
            }
          : null,
      };
    });
  return status;
}

export function renderStatus(status: MeshStatus): string {
  const { registry, pm2 } = status;
  const health = registry.health;
  const lines: string[] = [];
  if (registry.reachable && health) {
    const counts = health.agents;
    lines.push(
      `registry  ${registry.url}  ${paintStatus(health.status, health.status)}  version ${health.version ?? '?'}` +
        `  up ${duration(health.uptime_seconds ?? NaN)}` +
        (health.capabilities !== undefined ? `  capabilities ${health.capabilities}` : ''),
    );
    if (counts) {
      lines.push(`agents    ${counts.healthy} healthy · ${counts.unhealthy} unhealthy · ${counts.unknown} unknown (${counts.total} total)`);
    }
  } else {
    lines.push(`registry  ${registry.url}  ${paint('unreachable', 'bad')}`);
  }
  const module = pm2.module
    ? `module ${pm2.module.name} ${paintStatus(pm2.module.status, pm2.module.status)} (pm_id ${pm2.module.pm_id}, ${pm2.module.restarts} restarts)`
    : `module ${moduleName()} not running here`;
  lines.push(`pm2       ${pm2.daemon ? `daemon running (PM2_HOME ${pm2.home})` : `no daemon (PM2_HOME ${pm2.home})`}  ${module}`);
  if (pm2.error) lines.push(`pm2       ${pm2.error}`);
  let out = lines.join('\n') + '\n';
  if (status.agents.length) {
    out +=
      '\n' +
      renderTable(
        [
          { header: 'AGENT' },
          { header: 'ID' },
          { header: 'STATUS', style: paintStatus },
          { header: 'REASON' },
          { header: 'ENDPOINT' },
          { header: 'PM2 APP' },
          { header: 'PM2 STATUS', style: paintStatus },
          { header: '↺', align: 'right' },
          { header: 'UPTIME', align: 'right' },
        ],
        status.agents.map((agent) => [
          agent.name,
          agent.id,
          agent.status,
          agent.status === 'healthy' ? '' : (agent.status_reason ?? ''),
          agent.endpoint,
          agent.pm2 ? pm2Label({ name: agent.pm2.name, pmId: agent.pm2.pm_id, workers: agent.pm2.workers }) : '-',
          agent.pm2?.status ?? '-',
          agent.pm2 ? String(agent.pm2.restarts) : '-',
          agent.pm2?.uptime_seconds !== undefined ? duration(agent.pm2.uptime_seconds) : '-',
        ]),
      );
  } else if (registry.reachable) {
    out += '\nno agents registered\n';
  }
  if (status.hidden_past_instances)
    out += `${status.hidden_past_instances} past instance${status.hidden_past_instances === 1 ? '' : 's'} hidden (--all shows them)\n`;
  return out;
}

export const status: Command = {
  name: 'status',
  summary: "Show the registry's health, its agents by status, and the PM2 state of each agent's app and of the module.",
  details: ['Exits 1 when the registry is unreachable (after printing what PM2 knows).'],
  options: {
    ...registryOptions,
    ...jsonOption,
    ...pm2HomeOption,
    all: { type: 'boolean', description: 'past instances too: unhealthy agents whose name another agent now serves' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const result = await collectStatus(values);
    if (values.json) printJson(result);
    else process.stdout.write(renderStatus(result));
    if (!result.registry.reachable) throw new CliError(result.registry.error ?? `registry unreachable at ${result.registry.url}`);
    return 0;
  },
};
