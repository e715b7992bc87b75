// Trip planner — the consumer at the head of the chain planner → weather → time-service, and a self proxy:
// `plan_trip` depends on `packing_list`, a capability of this same agent, called in-process (no HTTP).
//   node dist/examples/planner.js
// Try:  pm2-mesh call plan_trip '{"city":"Lisbon"}'
import { z } from 'zod';
import { agent, traceContext } from 'mesh/runtime';

const planner = agent({ name: 'planner', version: '1.0.0', description: 'Plans a day out from the weather' });

planner.tool(
  'packing_list',
  {
    capability: 'packing_list',
    description: 'What to pack for some weather',
    inputSchema: { conditions: z.string(), temperature_c: z.number() },
  },
  ({ conditions, temperature_c }) => {
    const items = ['water', 'phone charger'];
    if (conditions === 'rain') items.push('umbrella', 'rain jacket');
    if (conditions === 'snow' || temperature_c < 5) items.push('warm coat', 'gloves');
    if (conditions === 'sunny') items.push('sunscreen', 'hat');
    if (conditions === 'windy') items.push('windbreaker');
    return { items };
  },
);

planner.tool(
  'plan_trip',
  {
    capability: 'trip_planning',
    description: 'Weather and a packing list for a day in a city',
    inputSchema: { city: z.string().min(1) },
    dependencies: [
      // Prefers a fast provider; any 1.x or 2.x will do.
      { capability: 'weather', tags: ['+fast'], version: '>=1.0.0 <3' },
      // Provided by this agent itself: a self proxy.
      { capability: 'packing_list', as: 'packing' },
    ],
  },
  async ({ city }, deps, extra) => {
    if (!deps.weather) return { city, advice: 'No weather service available right now: pack for anything.' };
    const weather = await deps.weather({ city });
    const packing = deps.packing ? await deps.packing({ conditions: weather.conditions, temperature_c: weather.temperature_c }) : { items: [] };
    return {
      city,
      weather,
      packing: packing.items,
      served_by: { weather: deps.weather.agentId, packing: deps.packing?.local ? 'self' : deps.packing?.agentId },
      // The call's trace: `pm2-mesh trace <trace_id>` shows each hop and its time.
      trace_id: traceContext(extra)?.traceId,
    };
  },
);

await planner.start();
