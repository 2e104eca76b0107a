import { appendFileSync } from 'node:fs';
import { runCommand } from '../../executor';
import type { CommandPort, CommandsResult, NamedCommand } from '../gates/types';
import { noteInLog, type StoryEnv } from '../story-env';

/**
 * The environment QA and validation commands run with: the one place it is built, from the
 * executor's allowlist (the base, the names wave.config.json grants, WAVE's own values).
 */
export function commandEnv(env: StoryEnv, storyId: string): Record<string, string> {
  return env.executor.commandEnv({ WAVE_SESSION_ID: env.sessionId, WAVE_STORY_ID: storyId }).env;
}

/** Runs commands in order in the worktree, stopping at the first failure; output goes to the gate log. */
export function commandPort(
  env: StoryEnv,
  storyId: string,
  worktreePath: () => string,
  timeoutMs: number,
): CommandPort {
  return {
    timeoutMs,
    async run(gate, commands: NamedCommand[], logPath): Promise<CommandsResult> {
      for (const c of commands) {
        if (env.signals.stopping)
          return { ok: false, name: c.name, argv: c.argv, output: '', why: 'the session is stopping' };
        noteInLog(logPath, `$ ${c.name}: ${JSON.stringify(c.argv)}`);
        const r = await runCommand(c.argv, {
          cwd: worktreePath(),
          env: commandEnv(env, storyId),
          timeoutMs,
          groups: env.executor.groups,
          sessionId: env.sessionId,
          storyId,
          label: `${gate} ${c.name}`,
        });
        try {
          appendFileSync(logPath, r.output.endsWith('\n') || r.output === '' ? r.output : `${r.output}\n`);
        } catch {
          // Logging is best effort.
        }
        if (r.exitCode !== 0) {
          const why = r.spawnError
            ? `could not start (${r.spawnError})`
            : r.timedOut
              ? `timed out after ${Math.round(timeoutMs / 1000)} s`
              : r.signal
                ? `was killed by ${r.signal}`
                : `exited with code ${r.exitCode}`;
          noteInLog(logPath, `${c.name} ${why}`);
          return { ok: false, name: c.name, argv: c.argv, output: r.output, why };
        }
        noteInLog(logPath, `${c.name} passed in ${r.durationMs} ms`);
      }
      return { ok: true };
    },
  };
}
