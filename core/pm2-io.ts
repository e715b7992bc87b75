// PM2's own metric channel, the messages @pm2/io sends (it is not installed with PM2 7; this is the part we need):
// the daemon keeps `axm:monitor` values in pm2_env.axm_monitor (`pm2 show` "Code metrics", `pm2 monit`), lists
// `axm:action`s under "Actions available" and runs one on `pm2 trigger <app> <action>`, answered by `axm:reply`;
// `axm:option:configuration` sets what `pm2 show` prints as the "Process configuration".

/** A metric as PM2 shows it: `<value> <unit>`. */
export interface Pm2Metric {
  value: number | string;
  unit?: string;
}

/** True when this process runs under PM2 with its IPC channel (fork or cluster mode). */
export function underPm2(env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof process.send === 'function' && env.pm_id !== undefined;
}

function send(message: { type: string; data: unknown }): void {
  // The channel closes when PM2 stops the process: a metric then has nowhere to go.
  if (process.connected) process.send!(message, undefined, undefined, () => undefined);
}

export function sendMetrics(metrics: Record<string, Pm2Metric>): void {
  send({ type: 'axm:monitor', data: metrics });
}

export function sendConfiguration(configuration: Record<string, unknown>): void {
  send({ type: 'axm:option:configuration', data: configuration });
}

/**
 * An action for `pm2 trigger <app> <name>`: announced to the daemon, run when it forwards the trigger (a bare name,
 * or `{ msg: name, opts }` with parameters); what `run` resolves is printed by `pm2 trigger`.
 */
export function registerAction(name: string, run: (opts: unknown) => Promise<unknown>): void {
  send({ type: 'axm:action', data: { action_name: name, action_type: 'internal', arity: 1, opts: null } });
  process.on('message', (message: unknown) => {
    const asked = message === name || (typeof message === 'object' && message !== null && (message as { msg?: unknown }).msg === name);
    if (!asked) return;
    const opts = typeof message === 'object' ? (message as { opts?: unknown }).opts : undefined;
    run(opts).then(
      (value) => send({ type: 'axm:reply', data: { return: value, action_name: name } }),
      (error: unknown) =>
        send({ type: 'axm:reply', data: { return: { error: error instanceof Error ? error.message : String(error) }, action_name: name } }),
    );
  });
}

/** Per second, from a counter's growth since the last reading (a counter gone backwards starts over). */
export class CounterRate {
  private last?: { value: number; at: number };

  next(value: number, at = Date.now()): number {
    const last = this.last;
    this.last = { value, at };
    if (!last || at <= last.at || value < last.value) return 0;
    return (value - last.value) / ((at - last.at) / 1000);
  }
}
