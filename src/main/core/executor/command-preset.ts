import { parseAgentLine } from '../../../shared/events';
import type { AgentInvocation, AgentInvocationContext, AgentPreset, OutputParser } from './agent-preset';
import { ExecutorError } from './errors';

/** Placeholders an argv template may use; each is replaced inside its own argument only. */
export const COMMAND_PLACEHOLDERS = [
  'storyFile',
  'promptFile',
  'feedbackFile',
  'phase',
  'storyId',
  'sessionId',
  'gate',
  'agentId',
  'worktree',
] as const;

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/**
 * The generic preset: an argv template such as `["node", "agent.mjs", "--story", "{storyFile}"]`.
 * Each argument is substituted on its own and passed as one argument, so story text can
 * never become shell syntax. The agent speaks the WAVE protocol on stdout (docs/architecture.md#agent-stdout-protocol).
 */
export function commandPreset(template: string[]): AgentPreset {
  if (!Array.isArray(template) || template.length === 0 || template.some((a) => typeof a !== 'string')) {
    throw new ExecutorError(
      'invalid_config',
      'The agent command must be a non-empty list of arguments, e.g. ["node", "agent.mjs", "{storyFile}"].',
    );
  }
  for (const arg of template) {
    for (const match of arg.matchAll(PLACEHOLDER)) {
      if (!(COMMAND_PLACEHOLDERS as readonly string[]).includes(match[1]!)) {
        throw new ExecutorError(
          'invalid_config',
          `The agent command uses an unknown placeholder {${match[1]}}. Known placeholders: ${COMMAND_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}.`,
          { placeholder: match[1] },
        );
      }
    }
  }
  return {
    name: 'command',
    invocation(context: AgentInvocationContext): AgentInvocation {
      const values: Record<(typeof COMMAND_PLACEHOLDERS)[number], string> = {
        storyFile: context.storyFile,
        promptFile: context.promptFile,
        feedbackFile: context.feedbackFile ?? '',
        phase: context.phase,
        storyId: context.storyId,
        sessionId: context.sessionId,
        gate: context.gate,
        agentId: context.agentId,
        worktree: context.worktreePath,
      };
      return { argv: template.map((arg) => arg.replace(PLACEHOLDER, (_m, name: keyof typeof values) => values[name])) };
    },
    createParser: () => waveProtocolParser(),
  };
}

/** Parser for agents that print WAVE protocol lines. */
export function waveProtocolParser(): OutputParser {
  return {
    line(line) {
      const c = parseAgentLine(line);
      if (c.kind === 'event') return { events: [c.event] };
      if (c.kind === 'invalid') return { events: [], invalid: c.reason };
      return { events: [] };
    },
    finish: () => ({}),
  };
}
