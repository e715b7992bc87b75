// Timing a call under load, the same way wherever it runs (inside a bench agent, or in the bench process).
import type { Timing } from './stats.js';

/** Runs `call` up to `calls` times (or for `maxMs`), `concurrency` at a time, after `warmUp` calls; per-call times in µs. */
export async function timed(call: () => Promise<unknown>, calls: number, concurrency: number, maxMs: number, warmUp = 200): Promise<Timing> {
  for (let i = 0; i < warmUp; i++) await call();
  const times: number[] = [];
  let issued = 0;
  const started = performance.now();
  const deadline = started + maxMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < calls && performance.now() < deadline) {
        issued++;
        const t0 = process.hrtime.bigint();
        await call();
        times.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(times).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  const meanUs = times.reduce((a, b) => a + b, 0) / (times.length || 1);
  return { calls: times.length, seconds, perSecond: times.length / seconds, p50Us: at(0.5), p99Us: at(0.99), meanUs };
}
