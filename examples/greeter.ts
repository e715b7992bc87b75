// Greeter — the README's first agent: one tool, one optional dependency on `time_service`, and one that no
// agent provides (`storage`), to show that an unresolved dependency is simply undefined.
//   node dist/examples/greeter.js
import { z } from 'zod';
import { agent } from 'mesh/runtime';

await agent({ name: 'greeter', version: '1.0.0' })
  .tool(
    'hello',
    {
      capability: 'greeting',
      tags: ['en'],
      description: 'Say hello',
      inputSchema: { name: z.string().default('world') },
      dependencies: ['time_service', { capability: 'storage', tags: ['+fast'], version: '>=2' }],
    },
    async ({ name }, deps) => {
      const now = deps.time_service ? await deps.time_service() : 'some time';
      const remembered = deps.storage ? ' (and I will remember you)' : '';
      return `Hello ${name}, it is ${now}${remembered}`;
    },
  )
  .start();
