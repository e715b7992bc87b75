// Weather (fast) — one of two providers of capability `weather`: tags fast+cached, version 1.2.0.
//   node dist/examples/weather-fast.js
// The planner asks for `{ capability: 'weather', tags: ['+fast'], version: '>=1.0.0 <3' }`: the preferred tag wins
// over weather-precise's higher version, so this one serves while it is up; when it goes away, weather-precise
// takes over (failover at once, rewiring within a second), and when it comes back the planner rewires to it.
// Depends on `time_service` to stamp its answers (chain: planner → weather → time-service).
import { z } from 'zod';
import { agent } from 'mesh/runtime';
import { forecast } from './lib/forecast.js';

await agent({ name: 'weather-fast', version: '1.2.0', description: 'Quick, rounded weather' })
  .tool(
    'forecast',
    {
      capability: 'weather',
      tags: ['fast', 'cached'],
      description: 'Weather for a city (rounded figures)',
      inputSchema: { city: z.string().min(1) },
      dependencies: ['time_service'],
    },
    async ({ city }, deps) => {
      // An unresolved dependency is undefined: degrade instead of failing (and say so).
      const observedAt: string = deps.time_service ? await deps.time_service() : new Date().toISOString();
      const clock = deps.time_service ? ('time_service' as const) : ('local' as const);
      return { ...forecast(city, observedAt, false), observed_at: observedAt, clock, source: 'weather-fast' };
    },
  )
  .start();
