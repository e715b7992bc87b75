// `npm run bench`: measures the seed's performance table, side by side with MCP Mesh's Go registry, prints one table
// and writes it to bench/results.md. Everything it starts is killed by pid before it exits.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GO_PACKAGE, GO_VERSION, installGoRegistry } from './go-install.js';
import { describeMachine, loadAverage } from './machine.js';
import { agentRows } from './agent-rows.js';
import { discoveryRows } from './discovery-rows.js';
import { gatewayRows } from './gateway-rows.js';
import { parseOptions, type BenchOptions, type Section } from './options.js';
import { moduleNodeFlags } from './node-flags.js';
import { atCleanup, cleanupAll } from './processes.js';
import { goRegistry, ourRegistry, type RegistryLauncher } from './registries.js';
import { registryRows, type RegistrySizes } from './registry-rows.js';
import { replicaRows } from './replica-rows.js';
import { resolutionRows } from './resolution-rows.js';
import { spreadRows } from './spread-rows.js';
import { tracingRows } from './tracing-rows.js';
import { renderNotes, renderTable, writeResults, type Row } from './table.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Kept between runs: the Go registry's install. */
const workDir = join(root, 'bench', '.work');
/** This run's data files (10 000-agent databases are tens of MB): removed at the end. */
let runDir = workDir;

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function registrySizes(quick: boolean, seedBudgetS?: number): RegistrySizes {
  const sizes: RegistrySizes = quick
    ? {
        small: 100,
        large: 1000,
        toolsPerAgent: 10,
        capabilityPool: 1000,
        loadS: 3,
        latencyS: 2,
        latencyMax: 100,
        connections: 50,
        seedBudgetS: 60,
        idleS: 15,
      }
    : {
        small: 1000,
        large: 10_000,
        toolsPerAgent: 10,
        capabilityPool: 1000,
        loadS: 10,
        latencyS: 10,
        latencyMax: 500,
        connections: 50,
        seedBudgetS: 300,
        idleS: 60,
      };
  return seedBudgetS ? { ...sizes, seedBudgetS } : sizes;
}

async function goLauncher(options: BenchOptions): Promise<RegistryLauncher | { unavailable: string }> {
  if (!options.withGo) return { unavailable: 'not run (--no-go)' };
  log(`installing ${GO_PACKAGE}@${GO_VERSION} into bench/.work (once)`);
  const install = await installGoRegistry(workDir);
  if ('unavailable' in install) {
    log(install.unavailable);
    return install;
  }
  return goRegistry(install.binary);
}

function oursLauncher(nodeFlags: readonly string[]): RegistryLauncher {
  const mainJs = join(root, 'dist', 'registry', 'main.js');
  return existsSync(mainJs)
    ? ourRegistry(mainJs, nodeFlags)
    : { label: 'ours', start: () => Promise.reject(new Error('dist/registry/main.js is not built (run npm run build)')) };
}

async function section(name: Section, options: BenchOptions): Promise<Row[]> {
  const nodeFlags = nodeFlagsOf(options);
  switch (name) {
    case 'registry':
      return registryRows(
        oursLauncher(nodeFlags),
        await goLauncher(options),
        registrySizes(options.quick, options.seedBudgetS),
        runDir,
        log,
        nodeFlags,
      );
    case 'agent':
      return agentRows(
        join(root, 'dist'),
        oursLauncher(nodeFlags),
        options.quick
          ? { calls: 2000, maxMs: 4000, concurrency: 10, rounds: 2, selfCalls: 20_000, starts: 2, idleAfterLoadS: 30 }
          : { calls: 10_000, maxMs: 8000, concurrency: 10, rounds: 3, selfCalls: 100_000, starts: 5, idleAfterLoadS: 30 },
        runDir,
        log,
        nodeFlags,
      );
    case 'tracing':
      return tracingRows(
        join(root, 'dist'),
        oursLauncher(nodeFlags),
        options.quick
          ? { calls: 2000, maxMs: 4000, concurrency: 10, rounds: 3, spans: 10_000 }
          : { calls: 10_000, maxMs: 8000, concurrency: 10, rounds: 5, spans: 10_000 },
        runDir,
        log,
      );
    case 'resolution':
      return resolutionRows(options.quick ? { capabilities: 10_000, names: 1000, runs: 5000 } : { capabilities: 10_000, names: 1000, runs: 50_000 });
    case 'spread':
      return spreadRows(
        join(root, 'dist'),
        oursLauncher(nodeFlags),
        options.quick
          ? { burnMs: 1, concurrency: 8, maxMs: 3000, rounds: 1, selections: 1_000_000 }
          : { burnMs: 1, concurrency: 8, maxMs: 6000, rounds: 3, selections: 5_000_000 },
        runDir,
        log,
      );
    case 'discovery':
      return discoveryRows(join(root, 'dist'), root, oursLauncher(nodeFlags), await goLauncher(options), runDir, log, nodeFlags);
    case 'replicas':
      return replicaRows(
        oursLauncher(nodeFlags),
        await goLauncher(options),
        options.quick
          ? { agents: 200, toolsPerAgent: 10, capabilityPool: 1000, loadS: 3, connections: 50, propagations: 10, seedBudgetS: 60 }
          : { agents: 1000, toolsPerAgent: 10, capabilityPool: 1000, loadS: 10, connections: 50, propagations: 50, seedBudgetS: 300 },
        runDir,
        log,
      );
    case 'gateway':
      return gatewayRows(
        join(root, 'dist'),
        oursLauncher(nodeFlags),
        options.quick
          ? { calls: 2000, maxMs: 4000, concurrency: 10, rounds: 2, joins: 3 }
          : { calls: 10_000, maxMs: 8000, concurrency: 10, rounds: 3, joins: 5 },
        runDir,
        log,
      );
  }
}

/** The V8 flags our registry and agents run with: --node-flags, or the module's node_args (what PM2 starts it with). */
function nodeFlagsOf(options: BenchOptions): string[] {
  return options.nodeFlags ?? moduleNodeFlags(root);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), join(root, 'bench', 'results.md'));
  mkdirSync(workDir, { recursive: true });
  runDir = mkdtempSync(join(workDir, 'run-'));
  atCleanup(() => rmSync(runDir, { recursive: true, force: true }));
  const loadBefore = loadAverage();
  log(`machine: ${describeMachine()}; load average ${loadBefore}`);
  const rows: Row[] = [];
  for (const name of options.sections) {
    log(`section ${name}`);
    try {
      rows.push(...(await section(name, options)));
    } catch (error) {
      rows.push({
        section: name,
        metric: `${name} section`,
        ours: `failed: ${(error as Error).message.split('\n')[0]}`,
        seed: '—',
        go: '—',
        ratio: '—',
        met: '—',
      });
    }
  }
  await cleanupAll();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const header = [
    '# pm2-mesh benchmarks',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${describeMachine()}`,
    `- load average (1/5/15 min): ${loadBefore} at start, ${loadAverage()} at end`,
    `- node flags of our registry and agents: ${nodeFlagsOf(options).length ? `\`${nodeFlagsOf(options).join(' ')}\`` : 'none'} (the module's package.json apps[0].node_args unless --node-flags says otherwise); the bare Node rows run with the same flags`,
    `- command: \`${command}\`${options.quick ? ' (quick: smaller counts, not the reference figures)' : ''}`,
    `- MCP Mesh Go: \`mcp-mesh-registry\` from npm \`${GO_PACKAGE}@${GO_VERSION}\`, installed on demand into bench/.work, run in the same bench`,
    '- loopback only; both registries get the same load from the same generator (autocannon 8), one after the other',
  ].join('\n');
  console.log(`${renderTable(rows)}\n\n${renderNotes(rows)}`);
  if (options.resultsFile) {
    writeResults(options.resultsFile, header, rows);
    log(`written to ${options.resultsFile}`);
  }
}

const interrupted = () => {
  log('interrupted: killing what the bench started');
  void cleanupAll().finally(() => process.exit(130));
};
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);

main().catch(async (error) => {
  console.error((error as Error).message);
  await cleanupAll();
  process.exit(1);
});
