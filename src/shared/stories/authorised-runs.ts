import { z } from 'zod';

/*
 * Everything approving a PRD authorises to run: the agent (preset, argument template and the
 * environment names it gets), the QA commands, the worktree setup command and each story's
 * validation commands. The PRD review and `wave prd show` list it; the approval records it,
 * and any later change voids the approval, naming what changed.
 */

const Argv = z.array(z.string());

export const GrantedEnvNames = z.object({
  /** Copied from the app's environment when present (LC_* stands for every locale variable). */
  base: z.array(z.string()),
  /** The agent preset's defaults ("NAME (when SWITCH is set)" for conditional ones); agents only. */
  preset: z.array(z.string()),
  /** wave.config.json agent.env.pass. */
  pass: z.array(z.string()),
  /** wave.config.json agent.env.set (names; values are never shown). */
  set: z.array(z.string()),
});
export type GrantedEnvNames = z.infer<typeof GrantedEnvNames>;

export const AuthorisedRuns = z.object({
  /** The project's wave.config.json these come from (null: the PRD belongs to no project). */
  configFile: z.string().nullable(),
  agent: z.object({
    preset: z.string(),
    /** The argument list, placeholders such as {storyFile} kept as written. */
    argv: Argv,
    /** What the agent gets on stdin, if anything (claude-code: the prompt file). */
    stdin: z.string().nullable(),
    env: GrantedEnvNames,
  }),
  qa: z.array(z.object({ name: z.string(), argv: Argv })),
  setup: Argv.nullable(),
  validation: z.array(z.object({ storyId: z.string(), commands: z.array(Argv) })),
  /** Why the list may not be what will run (e.g. wave.config.json is invalid now). */
  problem: z.string().nullable(),
});
export type AuthorisedRuns = z.infer<typeof AuthorisedRuns>;

/** A story's validation commands as argument lists, exactly as gate-5 runs them (a string is split on whitespace). */
export function validationArgvs(story: { validation?: { commands?: unknown } } | null | undefined): string[][] {
  const raw = story?.validation?.commands;
  if (!Array.isArray(raw)) return [];
  return raw
    .map((c) => (Array.isArray(c) ? c.map(String) : String(c).trim().split(/\s+/)))
    .filter((argv) => argv.length > 0 && argv[0] !== '');
}
