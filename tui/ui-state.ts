// What the user has chosen on screen (focus, selection, filter, overlays) and how each key changes it. Pure.

export type Pane = 'agents' | 'capabilities' | 'wiring' | 'events';
export const PANES: readonly Pane[] = ['agents', 'capabilities', 'wiring', 'events'];

export type Overlay =
  | { kind: 'help'; scroll: number }
  | { kind: 'details'; agentId: string; scroll: number }
  /** The calls view: one row per dependency edge; `selected` is a row. */
  | { kind: 'calls'; selected: number; scroll: number }
  /** The drill-down into one trace, opened from the calls view (back to it on esc). */
  | { kind: 'trace'; traceId: string; selected: number; scroll: number };

export interface UiState {
  focus: Pane;
  selectedAgentId: string | null;
  /** Row index in the capabilities table. */
  selectedCapability: number;
  /** First line shown in the wiring pane. */
  wiringScroll: number;
  /** Lines scrolled back from the newest event; 0 follows the log. */
  eventsScrollBack: number;
  filter: string;
  /** True while the user types a filter after `/`. */
  filterEditing: boolean;
  overlay: Overlay | null;
  /** Past instances shown too (`a` toggles; `--all` starts with it). */
  showAll: boolean;
}

/** A key as blessed reports it (`ch` for printable input, `name`/`ctrl`/`shift` for the rest). Enter arrives as `enter` (blessed also repeats it as `return`, ignored here). */
export interface KeyPress {
  name?: string;
  ch?: string;
  ctrl?: boolean;
  shift?: boolean;
  meta?: boolean;
}

/** What the screen currently lists, so that moves stay within it. */
export interface KeyContext {
  /** Agent ids of the agents table rows, in order. */
  agentIds: readonly string[];
  /** Provider agent id of each capabilities table row ('' for a row without provider). */
  capabilityProviderIds: readonly string[];
  /** Lines of the wiring pane and of the event log, and how many fit, to bound scrolling. */
  wiringLines: number;
  eventLines: number;
  visibleLines: number;
  /** The latest trace of each row of the calls view, in order. */
  edgeTraceIds?: readonly string[];
}

export interface KeyResult {
  ui: UiState;
  quit: boolean;
}

export function initialUiState({ showAll = false } = {}): UiState {
  return {
    focus: 'agents',
    selectedAgentId: null,
    selectedCapability: 0,
    wiringScroll: 0,
    eventsScrollBack: 0,
    filter: '',
    filterEditing: false,
    overlay: null,
    showAll,
  };
}

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

/** -1 / +1 for one line, ±page for page keys, ±Infinity for home/end; 0 when the key is no move. */
function moveOf(key: KeyPress, page: number): number {
  switch (key.name) {
    case 'up':
      return -1;
    case 'down':
      return 1;
    case 'pageup':
      return -page;
    case 'pagedown':
      return page;
    case 'home':
      return -Infinity;
    case 'end':
      return Infinity;
  }
  switch (key.ch) {
    case 'k':
      return -1;
    case 'j':
      return 1;
    case 'g':
      return -Infinity;
    case 'G':
      return Infinity;
  }
  return 0;
}

const isPrintable = (key: KeyPress) => key.ch !== undefined && key.ch.length === 1 && !key.ctrl && !key.meta && key.ch >= ' ' && key.ch !== '\x7f';

function editFilter(ui: UiState, key: KeyPress): UiState {
  if (key.name === 'escape') return { ...ui, filter: '', filterEditing: false };
  if (key.name === 'enter') return { ...ui, filterEditing: false };
  if (key.name === 'backspace') return { ...ui, filter: ui.filter.slice(0, -1) };
  if (key.ctrl && key.name === 'u') return { ...ui, filter: '' };
  if (isPrintable(key)) return { ...ui, filter: ui.filter + key.ch };
  return ui;
}

function moveInPane(ui: UiState, delta: number, ctx: KeyContext): UiState {
  const step = (index: number, count: number) => clamp(Number.isFinite(delta) ? index + delta : delta < 0 ? 0 : count - 1, 0, Math.max(0, count - 1));
  switch (ui.focus) {
    case 'agents': {
      if (ctx.agentIds.length === 0) return ui;
      const current = Math.max(0, ui.selectedAgentId === null ? 0 : ctx.agentIds.indexOf(ui.selectedAgentId));
      return { ...ui, selectedAgentId: ctx.agentIds[step(current, ctx.agentIds.length)] ?? null };
    }
    case 'capabilities':
      return { ...ui, selectedCapability: step(ui.selectedCapability, ctx.capabilityProviderIds.length) };
    case 'wiring':
      return { ...ui, wiringScroll: step(ui.wiringScroll, Math.max(1, ctx.wiringLines - ctx.visibleLines + 1)) };
    case 'events': {
      // Down moves towards the newest line, i.e. less scroll-back.
      const maxBack = Math.max(0, ctx.eventLines - ctx.visibleLines);
      const back = Number.isFinite(delta) ? ui.eventsScrollBack - delta : delta < 0 ? maxBack : 0;
      return { ...ui, eventsScrollBack: clamp(back, 0, maxBack) };
    }
  }
}

/** The agent whose details `enter` opens from the focused pane. */
function detailsTarget(ui: UiState, ctx: KeyContext): string | null {
  if (ui.focus === 'capabilities') return ctx.capabilityProviderIds[ui.selectedCapability] || null;
  return ui.selectedAgentId ?? ctx.agentIds[0] ?? null;
}

function onOverlay(ui: UiState, overlay: Overlay, key: KeyPress, page: number, ctx: KeyContext): UiState {
  if (overlay.kind === 'calls') return onCalls(ui, overlay, key, page, ctx);
  if (overlay.kind === 'trace' && (key.name === 'escape' || key.name === 'enter' || key.name === 'backspace')) {
    return { ...ui, overlay: { kind: 'calls', selected: overlay.selected, scroll: 0 } };
  }
  if (key.name === 'escape' || key.name === 'enter' || key.ch === '?' || key.name === 'backspace') {
    return { ...ui, overlay: null };
  }
  const delta = moveOf(key, page);
  if (delta === 0) return ui;
  const scroll = Number.isFinite(delta) ? Math.max(0, overlay.scroll + delta) : delta < 0 ? 0 : Number.MAX_SAFE_INTEGER;
  return { ...ui, overlay: { ...overlay, scroll } };
}

/** The calls view: moves select an edge, enter drills into its latest trace, c or esc closes. */
function onCalls(ui: UiState, overlay: Overlay & { kind: 'calls' }, key: KeyPress, page: number, ctx: KeyContext): UiState {
  const traceIds = ctx.edgeTraceIds ?? [];
  if (key.name === 'escape' || key.ch === 'c' || key.name === 'backspace') return { ...ui, overlay: null };
  if (key.name === 'enter') {
    const traceId = traceIds[overlay.selected];
    return traceId ? { ...ui, overlay: { kind: 'trace', traceId, selected: overlay.selected, scroll: 0 } } : ui;
  }
  const delta = moveOf(key, page);
  if (delta === 0) return ui;
  const last = Math.max(0, traceIds.length - 1);
  const selected = Number.isFinite(delta) ? clamp(overlay.selected + delta, 0, last) : delta < 0 ? 0 : last;
  return { ...ui, overlay: { ...overlay, selected } };
}

export function reduceKey(ui: UiState, key: KeyPress, ctx: KeyContext): KeyResult {
  const page = Math.max(1, ctx.visibleLines - 1);
  if (key.ctrl && key.name === 'c') return { ui, quit: true };
  if (ui.filterEditing) return { ui: editFilter(ui, key), quit: false };
  if (key.ch === 'q' && !key.ctrl && !key.meta) return { ui, quit: true };
  if (ui.overlay) return { ui: onOverlay(ui, ui.overlay, key, page, ctx), quit: false };

  const next = (u: UiState): KeyResult => ({ ui: u, quit: false });
  if (key.ch === '/') return next({ ...ui, filterEditing: true });
  if (key.ch === '?') return next({ ...ui, overlay: { kind: 'help', scroll: 0 } });
  if (key.ch === 'c') return next({ ...ui, overlay: { kind: 'calls', selected: 0, scroll: 0 } });
  if (key.ch === 'a' && !key.ctrl && !key.meta) return next({ ...ui, showAll: !ui.showAll });
  if (key.name === 'escape') return next(ui.filter ? { ...ui, filter: '' } : ui);
  if (key.name === 'tab') {
    const i = PANES.indexOf(ui.focus);
    return next({ ...ui, focus: PANES[(i + (key.shift ? PANES.length - 1 : 1)) % PANES.length]! });
  }
  if (key.name === 'enter') {
    const agentId = detailsTarget(ui, ctx);
    return next(agentId ? { ...ui, overlay: { kind: 'details', agentId, scroll: 0 } } : ui);
  }
  const delta = moveOf(key, page);
  return next(delta === 0 ? ui : moveInPane(ui, delta, ctx));
}
