// Time service — the simplest provider: capability `time_service` (tool `now`), no dependencies.
//   MCP_MESH_AGENT_NAME=time-service node dist/examples/time-service.js
// Every weather provider depends on it, so it is the last hop of the planner's chain (planner → weather → time).
import { z } from 'zod';
import { agent } from 'mesh/runtime';

await agent({ name: 'time-service', version: '1.0.0', description: 'Tells the time' })
  .tool(
    'now',
    {
      capability: 'time_service',
      tags: ['system', 'clock'],
      description: 'The current time as ISO 8601, in UTC or in an IANA time zone',
      inputSchema: { timezone: z.string().optional().describe('IANA zone, e.g. Europe/Paris') },
    },
    ({ timezone }) => {
      const now = new Date();
      if (!timezone) return now.toISOString();
      return now.toLocaleString('sv-SE', { timeZone: timezone }).replace(' ', 'T');
    },
  )
  .start();
