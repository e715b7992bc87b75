// pm2-mesh events [-f]: the registry's event log (register, unhealthy, …), oldest first; -f follows it live.
import { numberOption, stringOption, type Command } from '../args.js';
import { jsonOption, registryClient, registryOptions } from '../connection.js';
import { eventTone, paint } from '../../core/text/colour.js';
import { outputWidth } from '../../core/text/table.js';
import { clock } from '../../core/text/time.js';
import { truncate } from '../../core/text/width.js';
import { printJson, printJsonLine } from '../output.js';
import { EventFollower } from '../../core/event-follower.js';
import type { RegistryClient } from '../../core/registry-client.js';
import { CliError, toCliError } from '../errors.js';
import type { RegistryEvent } from '../../core/wire.js';

export function describeEventData(data: Record<string, unknown> | undefined): string {
  return Object.entries(data ?? {})
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

export function eventLine(event: RegistryEvent, width = outputWidth()): string {
  const type = event.event_type.padEnd(10);
  const line = `${clock(event.timestamp)}  #${String(event.id).padEnd(5)} ${type} ${event.agent_id}  ${describeEventData(event.data)}`.trimEnd();
  const cut = width ? truncate(line, width) : line;
  return cut.replace(type, paint(type, eventTone(event.event_type)));
}

function matches(event: RegistryEvent, agent?: string, type?: string): boolean {
  return (!agent || event.agent_id === agent || event.agent_name === agent) && (!type || event.event_type === type);
}

/** Prints new events until SIGINT/SIGTERM; a lost stream is said once on stderr and followed again. */
async function follow(client: RegistryClient, lastId: number | undefined, filter: { agent?: string; type?: string }, json: boolean) {
  let warned = false;
  let unsupported: Error | undefined;
  const follower = new EventFollower({
    client,
    lastEventId: () => lastId,
    backoffMs: 1000,
    maxBackoffMs: 5000,
    onEvent: (event) => {
      lastId = event.id;
      if (!matches(event, filter.agent, filter.type)) return;
      if (json) printJsonLine(event);
      else process.stdout.write(`${eventLine(event)}\n`);
    },
    onStatus: (status, error) => {
      if (status === 'live' && warned) process.stderr.write('events: stream back\n');
      if (status === 'live') warned = false;
      if (status === 'down' && !warned) process.stderr.write(`events: ${(toCliError(error) as Error).message}; reconnecting\n`);
      if (status === 'down') warned = true;
      if (status === 'unsupported') unsupported = error;
    },
  });
  const stop = () => follower.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await follower.start();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (unsupported) throw new CliError(`the registry at ${client.baseUrl} has no event stream (${unsupported.message}); use events without -f`);
}

export const events: Command = {
  name: 'events',
  summary: "Show the registry's event log (register, unregister, healthy, unhealthy, update, expired), oldest first.",
  options: {
    ...registryOptions,
    ...jsonOption,
    follow: { type: 'boolean', short: 'f', description: 'keep printing new events as they happen (Server-Sent Events)' },
    limit: { type: 'string', short: 'n', valueName: 'n', description: 'how many recent events to show first (default 20)' },
    agent: { type: 'string', valueName: 'agent-id', description: 'only events of this agent' },
    type: { type: 'string', valueName: 'type', description: 'only events of this type' },
  },
  details: ['With --json and -f, each event is printed as one JSON line.'],
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const limit = numberOption(values, 'limit', 20, { integer: true });
    const agent = stringOption(values, 'agent');
    const type = stringOption(values, 'type');
    const client = registryClient(values);
    // limit 0 shows nothing old (the registry would read 0 as "its default").
    const answer = limit > 0 ? await client.events({ limit, agent_id: agent, type }) : { count: 0, events: [], next: 0 };
    const recent = [...answer.events].sort((a, b) => a.id - b.id);
    if (values.json && !values.follow) {
      printJson(answer);
      return 0;
    }
    for (const event of recent) {
      if (values.json) printJsonLine(event);
      else process.stdout.write(`${eventLine(event)}\n`);
    }
    if (!values.follow) {
      if (!recent.length && !values.json) process.stdout.write(`no events at ${client.baseUrl}\n`);
      return 0;
    }
    // Resume after the newest event the registry has, whatever the filters showed.
    const newest = agent || type || !recent.length ? (await client.events({ limit: 1 })).events[0]?.id : recent.at(-1)?.id;
    await follow(client, newest, { agent, type }, !!values.json);
    return 0;
  },
};
