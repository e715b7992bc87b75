// Command-line flags of `npm run bench`.

export const SECTIONS = ['registry', 'resolution', 'agent', 'discovery'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  quick: boolean;
  sections: Set<Section>;
  /** Skip installing/running MCP Mesh's Go registry. */
  withGo: boolean;
  /** Where the table is written ('' = nowhere). */
  resultsFile: string;
  /** Seconds a registry may take to register the 10 000 agents (undefined: the size's default). */
  seedBudgetS?: number;
}

export const USAGE = `usage: node dist/bench/run.js [--quick] [--only registry,resolution,agent,discovery] [--no-go] [--results FILE|--no-results] [--seed-budget S]
  --quick       smaller counts and shorter loads, for trying the bench out
  --only LIST   run only these sections (comma-separated)
  --no-go       do not install/run MCP Mesh's Go registry (its column says so)
  --results F   write the table to F (default bench/results.md); --no-results writes nothing
  --seed-budget S  seconds a registry may take to register the agents of a tier (default 300; 60 with --quick)`;

export function parseOptions(argv: string[], defaultResults: string): BenchOptions {
  const options: BenchOptions = { quick: false, sections: new Set(SECTIONS), withGo: true, resultsFile: defaultResults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--quick') options.quick = true;
    else if (flag === '--no-go') options.withGo = false;
    else if (flag === '--no-results') options.resultsFile = '';
    else if (flag === '--results') options.resultsFile = value();
    else if (flag === '--seed-budget') {
      const seconds = Number(value());
      if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--seed-budget: a number of seconds, got ${arg}\n${USAGE}`);
      options.seedBudgetS = seconds;
    }
    else if (flag === '--only') {
      const wanted = value().split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = wanted.filter((s) => !(SECTIONS as readonly string[]).includes(s));
      if (unknown.length || wanted.length === 0) throw new Error(`--only: unknown section ${unknown.join(', ') || '(none)'}\n${USAGE}`);
      options.sections = new Set(wanted as Section[]);
    } else if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    else throw new Error(`unknown flag ${arg}\n${USAGE}`);
  }
  return options;
}
