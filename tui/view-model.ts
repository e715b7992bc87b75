// Registry state + what the user chose → the exact text of every pane. Pure: no I/O, no clock, no widgets.
import type { AgentCallsResponse, RegistryEvent } from '../core/wire.js';
import { eventTone, painter, statusTone, type Painter, type Tone } from '../core/text/colour.js';
import { pm2Label } from '../core/text/pm2-label.js';
import { currentAgents } from '../core/past-instances.js';
import { sparkline } from '../core/text/sparkline.js';
import { contentWidths, fitColumns, row, type ColumnSpec } from '../core/text/table.js';
import { clock, duration } from '../core/text/time.js';
import { clip, displayWidth, fit } from '../core/text/width.js';
import { callsOverlay, traceOverlay } from './calls-view.js';
import { countStatuses, type DashboardAgent, type DependencyWiring } from './registry-model.js';
import type { AgentCalls, DashboardState } from './state.js';
import type { Pane, UiState } from './ui-state.js';

export interface PaneSize {
  width: number;
  height: number;
}

export interface ViewOptions {
  now: number;
  color: boolean;
  /** Inner size (inside borders) of each pane, and of the screen. */
  sizes: Record<Pane | 'heartbeat' | 'overlay' | 'screen', PaneSize>;
}

export interface TableView {
  label: string;
  header: string;
  rows: string[];
  selected: number;
}

export interface DashboardView {
  /** Top line: the registry and its health, or the unreachable banner. */
  header: string;
  alert: boolean;
  /** Bottom line: key hints or the filter being typed. */
  footer: string;
  agents: TableView & { ids: string[] };
  capabilities: TableView & { providerIds: string[] };
  wiring: { label: string; lines: string[]; scroll: number };
  events: { label: string; lines: string[]; scrollBack: number };
  heartbeat: { label: string; lines: string[] };
  overlay: { title: string; lines: string[]; scroll: number } | null;
  /** The latest trace of each row of the calls view (what enter drills into). */
  callTraceIds: string[];
  focus: Pane;
}

const PANE_TITLES: Record<Pane, string> = {
  agents: 'Agents',
  capabilities: 'Capabilities & providers',
  wiring: 'Wiring',
  events: 'Events',
};

// growOrder: what gets room for its content first when the terminal is narrow.
export const AGENT_COLUMNS: readonly ColumnSpec[] = [
  { title: 'NAME', min: 10, max: 28, growOrder: 0 },
  { title: 'STATUS', min: 9, max: 9, growOrder: 1 },
  { title: 'ENDPOINT', min: 15, max: 28, shrinkOrder: 1, growOrder: 4 },
  { title: 'PM2 APP', min: 10, max: 22, shrinkOrder: 3, growOrder: 5 },
  { title: 'CAPABILITIES', min: 10, max: 60, shrinkOrder: 2, growOrder: 6 },
  { title: 'DEPS', min: 4, max: 5, align: 'right', growOrder: 2 },
  { title: 'SEEN', min: 4, max: 5, align: 'right', growOrder: 3 },
];

export const CAPABILITY_COLUMNS: readonly ColumnSpec[] = [
  { title: 'CAPABILITY', min: 10, max: 24, growOrder: 0 },
  { title: 'VER', min: 5, max: 10, shrinkOrder: 1, growOrder: 3 },
  { title: 'TAGS', min: 3, max: 24, shrinkOrder: 2, growOrder: 4 },
  { title: 'PROVIDER', min: 10, max: 28, growOrder: 1 },
  { title: 'GIVEN TO', min: 8, max: 60, growOrder: 2 },
];

const shortEndpoint = (endpoint: string) => endpoint.replace(/^https?:\/\//, '');

/** Names shown for agents: the name, or name#hex when several agents share it (PM2 instances). */
export function displayNames(agents: readonly DashboardAgent[]): Map<string, string> {
  const byName = new Map<string, number>();
  for (const a of agents) byName.set(a.name, (byName.get(a.name) ?? 0) + 1);
  return new Map(agents.map((a) => [a.id, (byName.get(a.name) ?? 0) > 1 ? `${a.name}#${a.id.slice(-4)}` : a.name]));
}

/** Whether an agent matches the filter text (case-insensitive, on everything shown about it). */
export function agentMatches(agent: DashboardAgent, filter: string): boolean {
  if (filter === '') return true;
  const needle = filter.toLowerCase();
  const hay = [
    agent.id,
    agent.name,
    agent.status,
    agent.endpoint,
    agent.pm2?.name ?? '',
    ...agent.capabilities.flatMap((c) => [c.name, c.functionName, ...c.tags]),
  ];
  return hay.some((h) => h.toLowerCase().includes(needle));
}

type Cell = { text: string; tone?: Tone | null };

/** Header and rows of a table whose columns are sized to the widths available and to their content. */
function layoutTable(specs: readonly ColumnSpec[], cells: Cell[][], width: number, paint: Painter): { header: string; rows: string[] } {
  const widths = fitColumns(specs, width, contentWidths(specs, cells));
  const header = specs
    .map((c, i) => fit(c.title, widths[i]!, c.align))
    .filter((_, i) => widths[i]! > 0)
    .join(' ');
  return { header, rows: cells.map((r) => row(r, widths, specs, paint)) };
}

function agentsTable(state: DashboardState, ui: UiState, opts: ViewOptions, paint: Painter, stale: string): DashboardView['agents'] {
  const names = displayNames(state.agents);
  const current = ui.showAll ? { shown: state.agents, hidden: 0 } : currentAgents(state.agents);
  const shown = current.shown.filter((a) => agentMatches(a, ui.filter));
  const cells = shown.map((a): Cell[] => {
    const deps = `${a.dependenciesResolved}/${a.totalDependencies}`;
    const depsTone: Tone | null = a.totalDependencies === 0 ? 'dim' : a.dependenciesResolved < a.totalDependencies ? 'bad' : 'good';
    const age = a.lastSeen === null ? '-' : duration((opts.now - a.lastSeen) / 1000, { short: true });
    return [
      { text: names.get(a.id) ?? a.name, tone: 'strong' },
      { text: a.status, tone: statusTone(a.status) },
      { text: shortEndpoint(a.endpoint) || '-' },
      { text: pm2Label(a.pm2, { withPid: true }), tone: a.pm2 ? null : 'dim' },
      { text: [...new Set(a.capabilities.map((c) => c.name).filter(Boolean))].join(',') || '-' },
      { text: deps, tone: depsTone },
      { text: age, tone: a.status === 'healthy' ? null : 'dim' },
    ];
  });
  const { header, rows } = layoutTable(AGENT_COLUMNS, cells, opts.sizes.agents.width, paint);
  const ids = shown.map((a) => a.id);
  const selected = Math.max(0, ui.selectedAgentId === null ? 0 : ids.indexOf(ui.selectedAgentId));
  const pool = current.shown.length;
  const hidden = current.hidden ? ` · ${current.hidden} past hidden (a)` : '';
  const counts = (ui.filter ? ` ${shown.length}/${pool} match "${clip(ui.filter, 20)}"` : ` ${pool}`) + hidden;
  return {
    label: label('agents', ui.focus, counts + stale),
    header,
    rows: rows.length ? rows : [paint(state.agents.length ? 'no agent matches the filter' : emptyAgentsText(state), 'dim')],
    ids,
    selected,
  };
}

function emptyAgentsText(state: DashboardState): string {
  return state.lastUpdate === null ? 'waiting for the registry…' : 'no agent registered';
}

function label(pane: Pane, focus: Pane, suffix = ''): string {
  return `${focus === pane ? '▸ ' : ''}${PANE_TITLES[pane]}${suffix}`;
}

interface CapabilityRow {
  capability: string;
  version: string;
  tags: string;
  providerId: string;
  providerText: string;
  providerTone: Tone | null;
  consumers: string[];
  givenToSelected: boolean;
}

/** One row per provided tool, grouped by capability, plus one per capability that is wanted but provided by none. */
export function capabilityRows(agents: readonly DashboardAgent[], selectedAgentId: string | null): CapabilityRow[] {
  const names = displayNames(agents);
  const rows: CapabilityRow[] = [];
  const provided = new Set<string>();
  // Consumers by the (provider, capability, tool) they were given, built once: a fleet can be large.
  const givenBy = new Map<string, Set<DashboardAgent>>();
  const key = (providerId: string, capability: string, tool: string) => `${providerId}\0${capability}\0${tool}`;
  const order = new Map(agents.map((a, i) => [a, i]));
  for (const consumer of agents) {
    for (const w of consumer.wiring) {
      if (!w.resolved) continue;
      const k = key(w.providerAgentId, w.capability, w.providerTool);
      givenBy.set(k, (givenBy.get(k) ?? new Set()).add(consumer));
    }
  }
  for (const provider of agents) {
    for (const cap of provider.capabilities) {
      if (!cap.name) continue;
      provided.add(cap.name);
      // A registry that does not name the tool ('') still names the provider and the capability.
      const given = [
        ...new Set([...(givenBy.get(key(provider.id, cap.name, cap.functionName)) ?? []), ...(givenBy.get(key(provider.id, cap.name, '')) ?? [])]),
      ].sort((a, b) => order.get(a)! - order.get(b)!);
      rows.push({
        capability: cap.name,
        version: cap.version || '-',
        tags: cap.tags.join(',') || '-',
        providerId: provider.id,
        providerText: names.get(provider.id) ?? provider.name,
        providerTone: provider.status === 'healthy' ? null : statusTone(provider.status),
        consumers: given.map((c) => names.get(c.id) ?? c.name),
        givenToSelected: given.some((c) => c.id === selectedAgentId),
      });
    }
  }
  const wanted = new Map<string, string[]>();
  for (const consumer of agents) {
    for (const w of consumer.wiring) {
      if (w.resolved || provided.has(w.capability) || !w.capability) continue;
      const list = wanted.get(w.capability) ?? [];
      const name = names.get(consumer.id) ?? consumer.name;
      if (!list.includes(name)) list.push(name);
      wanted.set(w.capability, list);
    }
  }
  for (const [capability, consumers] of wanted) {
    rows.push({
      capability,
      version: '-',
      tags: '-',
      providerId: '',
      providerText: '(none)',
      providerTone: 'bad',
      consumers,
      givenToSelected: false,
    });
  }
  const healthyFirst = (r: CapabilityRow) => (r.providerTone === null ? 0 : 1);
  return rows.sort(
    (a, b) => a.capability.localeCompare(b.capability) || healthyFirst(a) - healthyFirst(b) || a.providerText.localeCompare(b.providerText),
  );
}

function capabilitiesTable(state: DashboardState, ui: UiState, opts: ViewOptions, paint: Painter, stale: string): DashboardView['capabilities'] {
  const needle = ui.filter.toLowerCase();
  const all = capabilityRows(state.agents, ui.selectedAgentId);
  const shown = needle
    ? all.filter((r) => [r.capability, r.tags, r.providerText, ...r.consumers].some((t) => t.toLowerCase().includes(needle)))
    : all;
  const cells = shown.map((r): Cell[] => {
    const provided = r.providerId !== '';
    // "*" marks a provider given to some consumer, ">" the one given to the selected agent.
    const mark = !provided ? '' : r.givenToSelected ? '>' : r.consumers.length ? '*' : ' ';
    return [
      { text: r.capability, tone: 'strong' },
      { text: r.version },
      { text: r.tags, tone: 'dim' },
      { text: `${mark}${r.providerText}`, tone: r.providerTone ?? (r.consumers.length ? 'good' : null) },
      { text: provided ? r.consumers.join(',') || '-' : `wanted by ${r.consumers.join(',')}`, tone: provided ? null : 'bad' },
    ];
  });
  const { header, rows } = layoutTable(CAPABILITY_COLUMNS, cells, opts.sizes.capabilities.width, paint);
  return {
    label: label('capabilities', ui.focus, ` ${shown.length}${stale}`),
    header,
    rows: rows.length ? rows : [paint(state.lastUpdate === null ? 'waiting for the registry…' : 'no capability', 'dim')],
    providerIds: shown.map((r) => r.providerId),
    selected: Math.min(ui.selectedCapability, Math.max(0, shown.length - 1)),
  };
}

/**
 * The selected agent's tools, each dependency and the agent serving it now (with the providers sharing its calls and
 * their share, from the agent's own figures when read), then who depends on it.
 */
export function wiringLines(
  agent: DashboardAgent | undefined,
  agents: readonly DashboardAgent[],
  width: number,
  paint: Painter,
  calls: AgentCalls | null = null,
): string[] {
  if (!agent) return [paint('select an agent', 'dim')];
  const names = displayNames(agents);
  const byId = new Map(agents.map((a) => [a.id, a]));
  const lines: string[] = [
    `${paint(clip(names.get(agent.id) ?? agent.name, width - 12), 'strong')} ${paint(agent.status, statusTone(agent.status))}`,
  ];
  const tools = [...new Set(agent.wiring.map((w) => w.functionName))];
  if (tools.length === 0) lines.push(paint('no dependencies', 'dim'));
  const report = calls?.agentId === agent.id ? calls.report : null;
  const seen = new Map<string, number>();
  for (const tool of tools) {
    lines.push(`${clip(tool, width)}()`);
    for (const w of agent.wiring.filter((x) => x.functionName === tool)) {
      const spec = clip([w.capability, ...w.tags, w.version].filter(Boolean).join(' '), Math.max(8, Math.floor(width / 2) - 4));
      const provider = byId.get(w.providerAgentId);
      const target = w.resolved
        ? paint(
            clip(
              `${provider ? names.get(provider.id) : w.providerAgentId}${w.providerTool ? '.' + w.providerTool : ''}`,
              Math.max(4, width - displayWidth(spec) - 5),
            ),
            provider && provider.status !== 'healthy' ? 'bad' : 'good',
          )
        : paint('unresolved', 'bad');
      lines.push(`  ${spec} → ${target}`);
      const shares = shareLine(w, report, seen, names);
      if (shares) lines.push(paint(clip(`      ${shares}`, width), 'dim'));
    }
  }
  const consumers = agents.filter((c) => c.id !== agent.id && c.wiring.some((w) => w.resolved && w.providerAgentId === agent.id));
  if (consumers.length) {
    lines.push('used by');
    for (const c of consumers) {
      const caps = [...new Set(c.wiring.filter((w) => w.resolved && w.providerAgentId === agent.id).map((w) => w.capability))].join(',');
      lines.push(clip(`  ${names.get(c.id)} (${caps})`, width));
    }
  }
  return lines;
}

/**
 * `shared: weather-1 37% · weather-2 28% · weather-3 35%` for a dependency whose calls several providers share (or
 * have served); null otherwise. The agent's figures are matched to the registry's wiring by tool and capability.
 */
function shareLine(w: DependencyWiring, report: AgentCallsResponse | null, seen: Map<string, number>, names: Map<string, string>): string | null {
  const key = `${w.functionName}\u0000${w.capability}`;
  const occurrence = seen.get(key) ?? 0;
  seen.set(key, occurrence + 1);
  const figures = report?.dependencies.filter((d) => d.function_name === w.functionName && d.capability === w.capability)[occurrence];
  const name = (id: string) => names.get(id) ?? id;
  if (figures && figures.calls > 0 && (figures.providers.length > 1 || w.sharedBy.length > 1)) {
    const served = figures.providers.filter((p) => p.sharing || p.calls > 0);
    return `shared: ${served.map((p) => `${name(p.agent_id)} ${Math.round(p.share * 100)}%`).join(' · ')} (${figures.calls} calls, ${figures.strategy})`;
  }
  return w.sharedBy.length > 1 ? `shared by ${w.sharedBy.map(name).join(', ')}` : null;
}

/** The part of an event's data worth a log line: why it happened, else which version at which endpoint. */
export function eventSummary(data: Record<string, unknown>): string {
  const reason = data.reason ?? data.status_reason ?? data.error ?? data.message;
  if (typeof reason === 'string' && reason !== '') return reason;
  const version = typeof data.version === 'string' && data.version ? `v${data.version}` : '';
  const endpoint = typeof data.endpoint === 'string' ? shortEndpoint(data.endpoint) : '';
  return [version, endpoint].filter(Boolean).join(' ');
}

export function eventLine(event: RegistryEvent, width: number, paint: Painter): string {
  const time = clip(clock(event.timestamp), 8);
  const type = fit(event.event_type, 10);
  const rest = clip(`${event.agent_name || event.agent_id} ${eventSummary(event.data)}`.trim(), Math.max(0, width - 20));
  return `${paint(time, 'dim')} ${paint(type, eventTone(event.event_type))} ${rest}`;
}

function heartbeatLines(state: DashboardState, opts: ViewOptions, paint: Painter): string[] {
  const width = opts.sizes.heartbeat.width;
  const rates = state.heartbeatRates;
  const latest = rates.length ? rates[rates.length - 1]! : null;
  const value = latest === null ? ' -/s' : `${latest < 10 ? latest.toFixed(1) : Math.round(latest)}/s`;
  const spark = sparkline(rates, Math.max(0, width - value.length - 1));
  const counts = state.health?.counts ?? countStatuses(state.agents);
  // Narrow panes drop the words that do not fit rather than wrap.
  const countParts: [string, Tone][] = [
    [`${counts.healthy} healthy`, counts.healthy ? 'good' : 'dim'],
    [`${counts.unhealthy} unhealthy`, counts.unhealthy ? 'bad' : 'dim'],
    [`${counts.unknown} unknown`, counts.unknown ? 'warn' : 'dim'],
  ];
  let room = width;
  const countsLine = countParts
    .filter(([text]) => (room -= displayWidth(text) + 1) >= -1)
    .map(([text, tone]) => paint(text, tone))
    .join(' ');
  const lines = [`${paint(spark, 'info')} ${value}`, countsLine];
  const h = state.health;
  const meta = [
    h?.version ? `registry ${h.version}` : '',
    h?.uptimeSeconds != null ? `up ${duration(h.uptimeSeconds, { short: true })}` : '',
    `events ${state.stream}`,
    state.rateSource === 'last_seen' ? 'rate≈agents seen' : '',
  ].filter(Boolean);
  lines.push(paint(clip(meta.join(' · '), width), 'dim'));
  return lines;
}

function headerLine(state: DashboardState, opts: ViewOptions, paint: Painter): { text: string; alert: boolean } {
  const width = opts.sizes.screen.width;
  const url = state.registryUrl;
  const since = state.lastUpdate === null ? 'no data yet' : `last update ${duration((opts.now - state.lastUpdate) / 1000, { short: true })} ago`;
  if (state.connection === 'unreachable' || state.connection === 'refused') {
    const what = state.connection === 'refused' ? `registry refused the token at ${url}, retrying` : `registry unreachable at ${url}, retrying`;
    return { text: clip(`⚠ ${what} — ${since}, shown stale${state.lastError ? ` (${state.lastError})` : ''}`, width), alert: true };
  }
  if (state.connection === 'connecting') return { text: clip(`pm2-mesh dash · connecting to ${url}…`, width), alert: false };
  const counts = state.health?.counts ?? countStatuses(state.agents);
  const text = `pm2-mesh dash · ${url} · ${counts.total} agents: `;
  const tail = `${counts.healthy} healthy, ${counts.unhealthy} unhealthy`;
  return {
    text: clip(text, width) + paint(clip(tail, Math.max(0, width - displayWidth(text))), counts.unhealthy ? 'warn' : 'good'),
    alert: false,
  };
}

const FOOTER_KEYS = '↑↓/jk select  enter details  c calls  / filter  tab pane  ? help  q quit';

function footerLine(ui: UiState, width: number): string {
  if (ui.filterEditing) return clip(`filter: ${ui.filter}█   enter keep · esc clear`, width);
  if (ui.filter) return clip(`filter "${ui.filter}" (esc clears) · ${FOOTER_KEYS}`, width);
  return clip(FOOTER_KEYS, width);
}

export const HELP_LINES = [
  'Keys',
  '  ↑ ↓ / j k    move the selection, or scroll the focused pane',
  '  PgUp PgDn    page;  g G / Home End: first / last',
  '  tab  S-tab   focus the next / previous pane',
  '  enter        details of the selected agent (or provider)',
  '  /            filter agents and capabilities; enter keeps, esc clears',
  '  c            calls per dependency edge (calls/s, errors, p50/p95);',
  '               enter on an edge shows its latest trace hop by hop',
  '  a            past instances too (unhealthy agents another agent of',
  '               their name replaced); --all starts with them shown',
  '  ?            this help; esc closes',
  '  q  C-c       quit',
  '',
  'Panes',
  '  Agents       status, endpoint, PM2 app#id and pid, capabilities,',
  '               dependencies resolved/declared, last heartbeat age',
  '  Capabilities every provider of every capability; * given to a',
  '               consumer, > given to the selected agent, (none) unmet',
  "  Wiring       the selected agent's dependencies and who serves them",
  "  Events       the registry's event log, live (SSE)",
  '  Heartbeats/s heartbeat rate and agents by status',
];

/** The details overlay of one agent: everything the registry says about it. */
export function detailLines(agent: DashboardAgent, agents: readonly DashboardAgent[], now: number, width: number, paint: Painter): string[] {
  const kv = (k: string, v: string, tone: Tone | null = null) => `${fit(k, 12)} ${paint(clip(v, Math.max(1, width - 13)), tone)}`;
  const lines = [
    kv('id', agent.id, 'strong'),
    kv('name', agent.name),
    kv('status', agent.status + (agent.statusReason ? ` (${agent.statusReason})` : ''), statusTone(agent.status)),
    kv('endpoint', agent.endpoint || '-'),
    kv('version', agent.version || '-'),
    kv('namespace', agent.namespace || '-'),
    kv('pm2', pm2Label(agent.pm2, { withPid: true })),
    kv(
      'last seen',
      agent.lastSeen === null ? '-' : `${duration((now - agent.lastSeen) / 1000, { short: true })} ago (${new Date(agent.lastSeen).toISOString()})`,
    ),
    kv('registered', agent.createdAt || '-'),
    kv('deps', `${agent.dependenciesResolved}/${agent.totalDependencies} resolved`),
    '',
    paint('Capabilities', 'strong'),
  ];
  if (agent.capabilities.length === 0) lines.push('  -');
  for (const c of agent.capabilities) {
    lines.push(clip(`  ${c.functionName}() → ${c.name} ${c.version}${c.tags.length ? ` [${c.tags.join(',')}]` : ''}`, width));
    if (c.description) lines.push(paint(clip(`      ${c.description}`, width), 'dim'));
  }
  lines.push('', paint('Wiring', 'strong'), ...wiringLines(agent, agents, width, paint).slice(1));
  return lines;
}

export function buildView(state: DashboardState, ui: UiState, opts: ViewOptions): DashboardView {
  const paint = painter(opts.color);
  const offline = state.connection === 'unreachable' || state.connection === 'refused';
  const stale = offline && state.lastUpdate !== null ? ' (stale)' : '';
  const agents = agentsTable(state, ui, opts, paint, stale);
  const selectedId = agents.ids[agents.selected] ?? null;
  const selected = state.agents.find((a) => a.id === selectedId);
  const head = headerLine(state, opts, paint);
  const eventsWidth = opts.sizes.events.width;
  let overlay: DashboardView['overlay'] = null;
  if (ui.overlay?.kind === 'help') {
    overlay = { title: 'Help', lines: HELP_LINES.map((l) => clip(l, opts.sizes.overlay.width)), scroll: ui.overlay.scroll };
  } else if (ui.overlay?.kind === 'calls') {
    overlay = callsOverlay(state, ui.overlay.selected, opts.sizes.overlay.width, opts.sizes.overlay.height, paint);
  } else if (ui.overlay?.kind === 'trace') {
    overlay = traceOverlay(state, ui.overlay.traceId, ui.overlay.scroll, opts.sizes.overlay.width, paint);
  } else if (ui.overlay?.kind === 'details') {
    const agentId = ui.overlay.agentId;
    const agent = state.agents.find((a) => a.id === agentId);
    overlay = {
      title: `Agent ${agent?.name ?? agentId}${stale}  (esc closes)`,
      lines: agent
        ? detailLines(agent, state.agents, opts.now, opts.sizes.overlay.width, paint)
        : [paint('this agent is no longer listed by the registry', 'dim')],
      scroll: ui.overlay.scroll,
    };
  }
  return {
    header: head.text,
    alert: head.alert,
    footer: footerLine(ui, opts.sizes.screen.width),
    agents,
    capabilities: capabilitiesTable(state, { ...ui, selectedAgentId: selectedId }, opts, paint, stale),
    wiring: {
      label: label('wiring', ui.focus, (selected ? ` of ${clip(selected.name, 20)}` : '') + stale),
      lines: wiringLines(selected, state.agents, opts.sizes.wiring.width, paint, state.calls),
      scroll: ui.wiringScroll,
    },
    events: {
      label: label('events', ui.focus, ` (${state.stream})${stale}`),
      lines: state.events.length
        ? state.events.map((e) => eventLine(e, eventsWidth, paint))
        : [paint(state.lastUpdate === null ? 'waiting for the registry…' : 'no events yet', 'dim')],
      scrollBack: ui.eventsScrollBack,
    },
    heartbeat: { label: `Heartbeats/s (10 s avg)${stale}`, lines: heartbeatLines(state, opts, paint) },
    overlay,
    callTraceIds: state.edges.map((e) => e.lastTraceId),
    focus: ui.focus,
  };
}
