import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildAgentEventJsonSchema } from '../../../shared/events';

/** Where the committed JSON Schema lives, relative to the repository root. */
export const AGENT_EVENT_SCHEMA_PATH = fileURLToPath(
  new URL('../../../../schemas/agent-event.schema.json', import.meta.url),
);

export function renderAgentEventSchema(): string {
  return `${JSON.stringify(buildAgentEventJsonSchema(), null, 2)}\n`;
}

// `npx tsx src/main/core/events/generate-agent-event-schema.ts` rewrites the committed file.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(AGENT_EVENT_SCHEMA_PATH, renderAgentEventSchema());
  process.stdout.write(`wrote ${AGENT_EVENT_SCHEMA_PATH}\n`);
}
