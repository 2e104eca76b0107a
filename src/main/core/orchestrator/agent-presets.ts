import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { claudeCodePreset, commandPreset, type AgentPreset } from '../executor';
import type { AgentPresetName } from './session-config';

const SCRIPTED_AGENT_REL = join('e2e', 'fixtures', 'agents', 'scripted-agent.mjs');

/** The scripted preset's command as a PRD approval lists it: node running the scripted test agent, no arguments. */
export const SCRIPTED_AGENT_TEMPLATE: readonly string[] = ['node', 'e2e/fixtures/agents/scripted-agent.mjs'];

/** Where electron-builder puts it in a packaged app (extraResources in electron-builder.yml). */
const PACKAGED_SCRIPTED_AGENT_REL = join('agents', 'scripted-agent.mjs');

/**
 * The scripted test agent kept in the repository (used by `wave demo` and the UI tests).
 * Found from WAVE_SCRIPTED_AGENT, else in a packaged app's resources folder, else by walking
 * up from this module (source and bundle layouts differ), else from the working directory.
 */
export function findScriptedAgent(
  env: NodeJS.ProcessEnv = process.env,
  resourcesPath = (process as { resourcesPath?: string }).resourcesPath,
): string | null {
  const explicit = env.WAVE_SCRIPTED_AGENT?.trim();
  if (explicit) return existsSync(explicit) ? resolve(explicit) : null;
  if (resourcesPath) {
    const packaged = join(resourcesPath, PACKAGED_SCRIPTED_AGENT_REL);
    if (existsSync(packaged)) return packaged;
  }
  const starts: string[] = [];
  try {
    starts.push(dirname(fileURLToPath(import.meta.url)));
  } catch {
    // Bundled as CommonJS: import.meta.url is not a file URL.
  }
  starts.push(process.cwd());
  for (const start of starts) {
    let dir = start;
    for (let i = 0; i < 8; i++) {
      const candidate = join(dir, SCRIPTED_AGENT_REL);
      if (existsSync(candidate)) return candidate;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return null;
}

/** The QA check that goes with the scripted agent (wave demo's gate-4), kept beside it in the repository and in a packaged app. */
export function findDemoQaCheck(env: NodeJS.ProcessEnv = process.env, resourcesPath?: string): string | null {
  const agent = resourcesPath === undefined ? findScriptedAgent(env) : findScriptedAgent(env, resourcesPath);
  const check = agent ? join(dirname(agent), 'qa-check.mjs') : null;
  return check && existsSync(check) ? check : null;
}

export interface ResolvedPreset {
  preset: AgentPreset;
  /** Extra environment for the agent process. */
  env: Record<string, string>;
}

/** Builds the agent preset a session runs with; the error says what to configure. */
export function resolveAgentPreset(
  name: AgentPresetName,
  command: string[] | null,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedPreset {
  switch (name) {
    case 'command':
      if (!command || command.length === 0) {
        throw new Error(
          'The agent preset is "command" but wave.config.json has no agent.command. Add the argument list of your agent, e.g. "agent": {"preset": "command", "command": ["./agent.sh", "{storyFile}"]}.',
        );
      }
      return { preset: commandPreset(command), env: {} };
    case 'claude-code':
      return { preset: claudeCodePreset(command && command.length ? { command } : {}), env: {} };
    case 'scripted': {
      const script = findScriptedAgent(env);
      if (!script) {
        throw new Error(
          `The scripted test agent (${SCRIPTED_AGENT_REL}) was not found next to this installation. Set WAVE_SCRIPTED_AGENT to its path, or choose another agent preset.`,
        );
      }
      // Under Electron, process.execPath is the app binary: this makes it behave as node.
      return {
        preset: { ...commandPreset([process.execPath, script]), name: 'scripted' },
        env: { ELECTRON_RUN_AS_NODE: '1' },
      };
    }
  }
}
