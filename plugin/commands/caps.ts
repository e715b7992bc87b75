// pm2-mesh caps: the capabilities on offer and who provides them.
import { listOption, stringOption, type Command } from '../args.js';
import { jsonOption, registryClient, registryOptions } from '../connection.js';
import { paintStatus } from '../../core/text/colour.js';
import { printJson } from '../output.js';
import type { CapabilityView } from '../../core/wire.js';
import { renderTable } from '../../core/text/table.js';

export const caps: Command = {
  name: 'caps',
  summary: 'List capabilities and their providers (each tool of each agent that offers one).',
  options: {
    ...registryOptions,
    ...jsonOption,
    name: { type: 'string', valueName: 'capability', description: 'only this capability' },
    tag: { type: 'string', multiple: true, valueName: 'tag', description: 'only providers with this tag' },
  },
  details: ['Example: pm2-mesh caps --name greeting --tag en'],
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const client = registryClient(values);
    const answer = await client.capabilities({ name: stringOption(values, 'name'), tags: listOption(values, 'tag') });
    if (values.json) {
      printJson(answer);
      return 0;
    }
    if (!answer.capabilities.length) {
      process.stdout.write(`no capabilities match at ${client.baseUrl}\n`);
      return 0;
    }
    const rows = [...answer.capabilities]
      .sort((a, b) => a.name.localeCompare(b.name) || a.agent_id.localeCompare(b.agent_id))
      .map((provider: CapabilityView) => [
        provider.name,
        provider.function_name,
        provider.version || '-',
        provider.tags.join(',') || '-',
        provider.agent_id,
        provider.status,
        provider.endpoint,
      ]);
    process.stdout.write(
      renderTable(
        [
          { header: 'CAPABILITY' },
          { header: 'TOOL' },
          { header: 'VERSION' },
          { header: 'TAGS' },
          { header: 'AGENT' },
          { header: 'STATUS', style: paintStatus },
          { header: 'ENDPOINT' },
        ],
        rows,
      ),
    );
    return 0;
  },
};
