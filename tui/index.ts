// `pm2-mesh dash`: ties the data source, the key reducer, the view-model and the screen together.
import type { ClientTls } from '../core/tls.js';
import type { Readable, Writable } from 'node:stream';
import { DashboardDataSource } from './data-source.js';
import { colorWanted } from '../core/text/colour.js';
import { createDashboardScreen } from './screen.js';
import { initialUiState, reduceKey, type KeyContext, type UiState } from './ui-state.js';
import { buildView, type DashboardView } from './view-model.js';

export interface DashboardOptions {
  registryUrl: string;
  token?: string;
  tls?: ClientTls;
  input?: Readable;
  output?: Writable;
  /** Default: on unless NO_COLOR is set (https://no-color.org). */
  color?: boolean;
  /** Milliseconds between polls of the registry (default 1000). */
  pollIntervalMs?: number;
  /** Past instances shown from the start (`--all`; the `a` key toggles). */
  showAll?: boolean;
  /** Aborting quits the dashboard as `q` does (e.g. on SIGTERM). */
  signal?: AbortSignal;
}

/** Shortest time between two frames (a burst of registry events costs one render per frame). */
const MIN_FRAME_MS = 30;

/** Runs the dashboard until the user quits; resolves the exit code (0) with the terminal restored. */
export function runDashboard(options: DashboardOptions): Promise<number> {
  const color = options.color ?? colorWanted(process.env);
  const source = new DashboardDataSource({
    registryUrl: options.registryUrl,
    token: options.token,
    tls: options.tls,
    pollIntervalMs: options.pollIntervalMs,
  });
  const screen = createDashboardScreen({ input: options.input, output: options.output, color });
  let ui: UiState = initialUiState({ showAll: options.showAll });
  let view: DashboardView | null = null;
  let pending: NodeJS.Timeout | null = null;
  let lastRender = 0;
  const clearPending = () => {
    if (pending) clearTimeout(pending);
    pending = null;
  };
  let closed = false;

  return new Promise<number>((resolve, reject) => {
    const finish = (error?: unknown) => {
      if (closed) return;
      closed = true;
      clearInterval(clock);
      clearPending();
      options.signal?.removeEventListener('abort', onAbort);
      source.stop();
      screen.destroy();
      if (error) reject(error);
      else resolve(0);
    };
    const onAbort = () => finish();

    const render = () => {
      clearPending();
      lastRender = Date.now();
      if (closed) return;
      try {
        view = buildView(source.state, ui, { now: Date.now(), color, sizes: screen.sizes() });
        // The selection follows the rows actually shown (filtered, or an agent gone).
        ui = { ...ui, selectedAgentId: view.agents.ids[view.agents.selected] ?? null, selectedCapability: view.capabilities.selected };
        source.watchCalls(ui.selectedAgentId);
        screen.show(view);
      } catch (err) {
        finish(err); // never leave the terminal in raw mode behind an exception
      }
    };
    // Coalesce: a burst of events renders once per frame, at most MIN_FRAME_MS apart.
    const schedule = () => {
      if (pending || closed) return;
      const wait = lastRender + MIN_FRAME_MS - Date.now();
      pending = setTimeout(render, Math.max(0, wait));
    };
    // Ages ("seen 3s") move with the clock even when the registry is quiet.
    const clock = setInterval(schedule, 1000);

    screen.onKey((key) => {
      if (closed) return;
      const result = reduceKey(ui, key, keyContext(view, screen.sizes()[ui.focus].height));
      ui = result.ui;
      // The drill-down's trace is read by the data source (the view never fetches).
      source.showTrace(ui.overlay?.kind === 'trace' ? ui.overlay.traceId : null);
      if (result.quit) finish();
      else render();
    });
    screen.onResize(schedule);
    source.onChange(schedule);
    if (options.signal?.aborted) return finish();
    options.signal?.addEventListener('abort', onAbort);
    source.start();
    render();
  });
}

function keyContext(view: DashboardView | null, visibleLines: number): KeyContext {
  return {
    agentIds: view?.agents.ids ?? [],
    capabilityProviderIds: view?.capabilities.providerIds ?? [],
    wiringLines: view?.wiring.lines.length ?? 0,
    eventLines: view?.events.lines.length ?? 0,
    visibleLines,
    edgeTraceIds: view?.callTraceIds ?? [],
  };
}
