// The widgets: a blessed screen with a blessed-contrib grid. It only shows a DashboardView; it never fetches.
import blessed from 'blessed';
import contrib from 'blessed-contrib';
import type { Readable, Writable } from 'node:stream';
import { clip } from '../core/text/width.js';
import type { KeyPress, Pane } from './ui-state.js';
import type { DashboardView, PaneSize, ViewOptions } from './view-model.js';

export interface DashboardScreenOptions {
  input?: Readable;
  output?: Writable;
  color: boolean;
}

export interface DashboardScreen {
  sizes(): ViewOptions['sizes'];
  show(view: DashboardView): void;
  onKey(handler: (key: KeyPress) => void): void;
  onResize(handler: () => void): void;
  /** Leaves the alternate screen and gives the terminal back as it was. */
  destroy(): void;
}

const BORDER = 'cyan';
const FOCUS_BORDER = 'yellow';

export function createDashboardScreen(options: DashboardScreenOptions): DashboardScreen {
  const { color } = options;
  const screen = blessed.screen({
    // @types/blessed has these two swapped.
    input: options.input as never,
    output: options.output as never,
    smartCSR: true,
    // Wide characters drawn as themselves (two cells each, as the view-model counts them), not as '??'.
    fullUnicode: true,
    autoPadding: true,
    warnings: false,
    // Keys are all handled by the dashboard's own reducer; blessed must not grab any (not even C-c).
    ignoreLocked: [],
  });

  // wrap: false everywhere — the view-model fits every line already, and blessed would wrap a line that
  // fills the width exactly when it ends with a colour code.
  const header = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: 1, tags: false, wrap: false });
  const footer = blessed.box({ parent: screen, bottom: 0, left: 0, width: '100%', height: 1, tags: false, wrap: false });
  const body = blessed.box({ parent: screen, top: 1, left: 0, width: '100%', height: '100%-2' });

  const grid = new contrib.grid({ rows: 12, cols: 12, screen: body, color: color ? BORDER : 'default' });
  const tableOptions = (label: string) => ({
    label,
    keys: false,
    interactive: true,
    columnSpacing: 0, // rows come laid out; see showTable
    columnWidth: [10],
    tags: false,
    fg: 'default',
    selectedFg: color ? 'white' : 'default',
    selectedBg: color ? 'blue' : 'default',
  });
  // Cells of the 12×12 grid: [row, col, rowSpan, colSpan].
  const cells = {
    agents: [0, 0, 4, 12],
    capabilities: [4, 0, 4, 7],
    wiring: [8, 0, 4, 7],
    events: [4, 7, 5, 5],
    heartbeat: [9, 7, 3, 5],
  } as const;
  const place = <T>(cell: readonly [number, number, number, number], widget: (o: any) => T, opts: Record<string, unknown>) =>
    grid.set(cell[0], cell[1], cell[2], cell[3], widget, opts);
  const agents = place(cells.agents, contrib.table, tableOptions('Agents'));
  const capabilities = place(cells.capabilities, contrib.table, tableOptions('Capabilities & providers'));
  const wiring = place(cells.wiring, blessed.box, { label: 'Wiring', tags: false, wrap: false });
  const events = place(cells.events, blessed.box, { label: 'Events', tags: false, wrap: false });
  const heartbeat = place(cells.heartbeat, blessed.box, { label: 'Heartbeats/s', tags: false, wrap: false });
  for (const table of [agents, capabilities]) adaptTable(table);
  const gridded: [blessed.Widgets.BoxElement, readonly [number, number, number, number]][] = [
    [agents, cells.agents],
    [capabilities, cells.capabilities],
    [wiring, cells.wiring],
    [events, cells.events],
    [heartbeat, cells.heartbeat],
  ];

  /**
   * The grid's percentages round each pane on its own, which leaves blank lines between panes and at the
   * bottom; snapping every edge to the same whole line keeps the panes touching at any terminal size.
   */
  const snapToLines = () => {
    const edge = (n: number, total: number) => Math.floor((total * n) / 12);
    const h = body.height as number;
    const w = body.width as number;
    for (const [el, [row, col, rowSpan, colSpan]] of gridded) {
      const p = el.position as { top?: unknown; left?: unknown; width?: unknown; height?: unknown };
      const next = {
        top: edge(row, h),
        left: edge(col, w),
        height: edge(row + rowSpan, h) - edge(row, h),
        width: edge(col + colSpan, w) - edge(col, w),
      };
      if (p.top !== next.top || p.left !== next.left || p.height !== next.height || p.width !== next.width) {
        (el as unknown as { clearPos(): void }).clearPos(); // blessed API missing from @types/blessed
        Object.assign(p, next);
      }
    }
  };
  snapToLines();

  const overlay = blessed.box({
    parent: screen,
    top: 'center',
    left: 'center',
    width: '90%',
    height: '80%',
    border: { type: 'line' },
    tags: false,
    wrap: false,
    hidden: true,
    style: color ? { border: { fg: FOCUS_BORDER } } : {},
  });

  const panes: Record<Pane, blessed.Widgets.BoxElement> = { agents, capabilities, wiring, events };
  const inner = (el: blessed.Widgets.BoxElement, extra = 0): PaneSize => ({
    width: Math.max(0, (el.width as number) - 2 - extra),
    height: Math.max(0, (el.height as number) - 2),
  });

  return {
    sizes() {
      snapToLines();
      const overlaySize = inner(overlay);
      return {
        // Table rows sit one column in from the border and one line below the header.
        agents: { width: inner(agents, 1).width, height: inner(agents).height - 1 },
        capabilities: { width: inner(capabilities, 1).width, height: inner(capabilities).height - 1 },
        wiring: inner(wiring),
        events: inner(events),
        heartbeat: inner(heartbeat),
        overlay: overlaySize,
        screen: { width: screen.width as number, height: screen.height as number },
      };
    },

    show(view) {
      snapToLines();
      const sizes = this.sizes();
      header.setContent(forBlessed(view.header));
      header.style = view.alert ? (color ? { fg: 'white', bg: 'red', bold: true } : { inverse: true, bold: true }) : { bold: true };
      footer.setContent(view.footer);

      showTable(agents, view.agents, sizes.agents.width, true, color);
      // The capabilities selection only means something while that pane has the focus.
      showTable(capabilities, view.capabilities, sizes.capabilities.width, view.focus === 'capabilities', color);
      setLabel(wiring, view.wiring.label);
      wiring.setContent(forBlessed(windowOf(view.wiring.lines, sizes.wiring.height, view.wiring.scroll).join('\n')));
      setLabel(events, view.events.label);
      const eventsTop = Math.max(0, view.events.lines.length - sizes.events.height - view.events.scrollBack);
      events.setContent(forBlessed(windowOf(view.events.lines, sizes.events.height, eventsTop).join('\n')));
      setLabel(heartbeat, view.heartbeat.label);
      heartbeat.setContent(view.heartbeat.lines.join('\n'));

      for (const [pane, el] of Object.entries(panes) as [Pane, blessed.Widgets.BoxElement][]) {
        if (color) el.style.border = { fg: pane === view.focus ? FOCUS_BORDER : BORDER };
      }
      if (view.overlay) {
        setLabel(overlay, ` ${view.overlay.title} `);
        overlay.setContent(forBlessed(windowOf(view.overlay.lines, sizes.overlay.height, view.overlay.scroll).join('\n')));
        overlay.show();
        overlay.setFront();
      } else {
        overlay.hide();
      }
      screen.render();
    },

    onKey(handler) {
      screen.on('keypress', (ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg | undefined) => {
        // blessed repeats Enter as `return` after `enter`; one press must count once.
        if (key?.name === 'return') return;
        handler({ ch: ch ?? undefined, name: key?.name, ctrl: key?.ctrl, shift: key?.shift, meta: key?.meta });
      });
    },

    onResize(handler) {
      screen.on('resize', handler);
    },

    destroy() {
      screen.destroy();
    },
  };
}

/** A label longer than its border would spill into the pane: cut it to the border's length. */
function setLabel(el: blessed.Widgets.BoxElement, text: string): void {
  el.setLabel(forBlessed(clip(text, Math.max(0, (el.width as number) - 4))));
}

/** The lines from `top` that fit in `height` (top clamped so the window stays full when it can). */
function windowOf(lines: readonly string[], height: number, top: number): string[] {
  if (height <= 0) return [];
  const start = Math.max(0, Math.min(top, lines.length - height));
  return lines.slice(start, start + height);
}

/** Rows are laid out by the view-model already: the table only gets one full-width column per row. */
function showTable(
  table: contrib.TableElement,
  view: DashboardView['agents'] | DashboardView['capabilities'],
  width: number,
  highlight: boolean,
  color: boolean,
): void {
  setLabel(table, view.label);
  (table.rows.style as Record<string, unknown>).selected = !highlight ? {} : color ? { fg: 'white', bg: 'blue' } : { inverse: true };
  // +1: the header is shifted one column right to sit above the rows.
  table.options.columnWidth = [Math.max(1, width) + 1];
  table.setData({ headers: [' ' + view.header], data: view.rows.map((r) => [forBlessed(r)]) });
  table.rows.select(view.selected);
}

/** blessed-contrib's table leaves a blank line under its header and one at the bottom; at 80×24 each line counts. */
function adaptTable(table: contrib.TableElement): void {
  table.rows.top = 1;
  (table as unknown as { wrap: boolean }).wrap = false;
  // Same reason as the boxes' wrap: false: a full-width row ending in a colour code would lose its last cell.
  const rows = table.rows as unknown as { createItem(content: string): { wrap: boolean } };
  const createItem = rows.createItem;
  rows.createItem = function (content: string) {
    const item = createItem.call(this, content);
    item.wrap = false;
    return item;
  };
  // Registry text must never be read as blessed tags.
  (table.rows as unknown as { parseTags: boolean }).parseTags = false;
  table.render = function (this: contrib.TableElement) {
    this.rows.width = (this.width as number) - 3;
    this.rows.height = (this.height as number) - 3;
    return (blessed as unknown as { Box: { prototype: { render(): void } } }).Box.prototype.render.call(this);
  } as typeof table.render;
}

/** blessed keeps an astral emoji in one cell while the terminal draws two: a \x03 after it is the cell it eats. */
function forBlessed(text: string): string {
  return text.replace(/\p{Emoji_Presentation}/gu, (e) => (e.length === 2 ? `${e}\x03` : e));
}
