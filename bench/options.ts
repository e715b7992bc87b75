// Command-line flags of `npm run bench`, parsed like every other entry point's (core/flags.ts).
import { FlagError, numberOption, optionsHelp, parseFlags, stringOption, type Options } from '../core/flags.js';

export const SECTIONS = ['registry', 'resolution', 'agent', 'spread', 'tracing', 'discovery', 'replicas', 'gateway'] as const;
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
  /** V8 flags for our registry and agents (undefined: the module's node_args from package.json). */
  nodeFlags?: string[];
}

const FLAGS: Options = {
  quick: { type: 'boolean', description: 'smaller counts and shorter loads, for trying the bench out' },
  only: { type: 'string', valueName: 'list', description: `run only these sections (comma-separated: ${SECTIONS.join(',')})` },
  'no-go': { type: 'boolean', description: "do not install/run MCP Mesh's Go registry (its column says so)" },
  results: { type: 'string', valueName: 'file', description: 'write the table to this file (default bench/results.md)' },
  'no-results': { type: 'boolean', description: 'write the table nowhere' },
  'node-flags': {
    type: 'string',
    valueName: 'flags',
    description:
      "V8 flags for our registry and agents, as --node-flags='--a --b' (default: package.json apps[0].node_args, what PM2 uses; '' for none)",
  },
  'seed-budget': {
    type: 'string',
    valueName: 'seconds',
    description: 'seconds a registry may take to register the agents of a tier (default 300; 60 with --quick)',
  },
};

export const USAGE = ['usage: node dist/bench/run.js [options]', '', 'Options:', ...optionsHelp(FLAGS)].join('\n');

/** The options; a wrong flag, or --help, throws with the usage. */
export function parseOptions(argv: string[], defaultResults: string): BenchOptions {
  try {
    const { values, positionals } = parseFlags(FLAGS, argv);
    if (values.help) throw new Error(USAGE);
    if (positionals.length) throw new FlagError(`unexpected argument ${positionals[0]}`);
    const options: BenchOptions = {
      quick: !!values.quick,
      sections: new Set(SECTIONS),
      withGo: !values['no-go'],
      resultsFile: values['no-results'] ? '' : (stringOption(values, 'results') ?? defaultResults),
    };
    if (values['seed-budget'] !== undefined) options.seedBudgetS = numberOption(values, 'seed-budget', 0, { min: 0, above: true });
    const nodeFlags = stringOption(values, 'node-flags');
    if (nodeFlags !== undefined) options.nodeFlags = nodeFlags.split(/\s+/).filter(Boolean);
    const only = stringOption(values, 'only');
    if (only !== undefined) {
      const wanted = only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = wanted.filter((s) => !(SECTIONS as readonly string[]).includes(s));
      if (unknown.length || wanted.length === 0) throw new FlagError(`--only: unknown section ${unknown.join(', ') || '(none)'}`);
      options.sections = new Set(wanted as Section[]);
    }
    return options;
  } catch (error) {
    if (error instanceof FlagError) throw new Error(`${error.message}\n${USAGE}`);
    throw error;
  }
}
