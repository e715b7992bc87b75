// Weather (precise) — the other provider of capability `weather`: tag precise, version 2.1.0, with an output
// schema and a health check. It is the planner's second choice (no `fast` tag) and takes over when
// weather-fast is gone. Depends on `time_service`.
//   node dist/examples/weather-precise.js
import { z } from 'zod';
import { agent } from 'mesh/runtime';
import { forecast } from './lib/forecast.js';

const MAX_HEAP_BYTES = 512 * 1024 * 1024;

await agent({
  name: 'weather-precise',
  version: '2.1.0',
  description: 'Weather with decimals and humidity',
  // Reported on each heartbeat; "unhealthy" takes this agent out of resolution until it passes again.
  healthCheck: () => (process.memoryUsage().heapUsed < MAX_HEAP_BYTES ? { status: 'healthy' } : { status: 'unhealthy', error: 'heap above 512 MiB' }),
})
  .tool(
    'forecast',
    {
      capability: 'weather',
      tags: ['precise'],
      description: 'Weather for a city (one decimal, humidity)',
      inputSchema: { city: z.string().min(1) },
      outputSchema: {
        city: z.string(),
        conditions: z.string(),
        temperature_c: z.number(),
        humidity_pct: z.number().optional(),
        observed_at: z.string(),
        clock: z.enum(['time_service', 'local']),
        source: z.string(),
      },
      dependencies: ['time_service'],
    },
    async ({ city }, deps) => {
      const observedAt: string = deps.time_service ? await deps.time_service() : new Date().toISOString();
      const clock = deps.time_service ? ('time_service' as const) : ('local' as const);
      return { ...forecast(city, observedAt, true), observed_at: observedAt, clock, source: 'weather-precise' };
    },
  )
  .start();
