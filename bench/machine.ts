// What the figures were measured on: they mean little without it.
import { cpus, freemem, loadavg, totalmem } from 'node:os';

export function describeMachine(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? 'unknown CPU';
  const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
  return `${cores.length} cores (${model}), ${gib(totalmem())} memory (${gib(freemem())} free), Node ${process.version}, ${process.platform}-${process.arch}`;
}

/** 1, 5 and 15 minute load averages: the machine is shared, so figures taken under load read low. */
export function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
}
