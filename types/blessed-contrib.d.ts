// The parts of blessed-contrib 4 the dashboard uses (the package ships no types).
declare module 'blessed-contrib' {
  import type { Widgets } from 'blessed';

  namespace contrib {
    interface GridOptions {
      rows: number;
      cols: number;
      /** Where the widgets are appended: the screen, or any element (the grid then fills that element). */
      screen: Widgets.Node;
      hideBorder?: boolean;
      color?: string;
      dashboardMargin?: number;
    }

    class grid {
      constructor(options: GridOptions);
      set<T>(row: number, col: number, rowSpan: number, colSpan: number, widget: (options: any) => T, options: Record<string, unknown>): T;
    }

    interface TableOptions extends Widgets.BoxOptions {
      columnWidth: number[];
      columnSpacing?: number;
      keys?: boolean;
      vi?: boolean;
      interactive?: boolean;
      fg?: string;
      bg?: string;
      selectedFg?: string;
      selectedBg?: string;
    }

    interface TableElement extends Widgets.BoxElement {
      /** The list holding the data rows. */
      rows: Widgets.ListElement;
      options: TableOptions;
      setData(table: { headers: string[]; data: string[][] }): void;
    }

    function table(options: TableOptions): TableElement;
  }

  export = contrib;
}
