import path from 'node:path';
import { validationArgvs, type AuthorisedRuns } from '../../../shared/stories';
import { loadWaveConfig, WAVE_CONFIG_FILE, WaveConfigError, type WaveConfig } from '../config';
import { claudeCodePreset, commandPreset, describeGrant, type AgentPreset } from '../executor';
import type { AgentInvocationContext } from '../executor';
import { SCRIPTED_AGENT_TEMPLATE } from '../orchestrator/agent-presets';
import { canonicalJson, sha256Hex } from '../stories/hash';

/** What an approval records about the runs it authorises: the list, and a hash of each fixed env value (never the value). */
export interface RunsSnapshot {
  runs: AuthorisedRuns;
  setValueHashes: Record<string, string>;
  hash: string;
}

// Every placeholder shown as itself, so the argument template reads as written.
const PLACEHOLDER_CONTEXT = {
  sessionId: '{sessionId}',
  storyId: '{storyId}',
  gate: '{gate}',
  phase: '{phase}',
  agentId: '{agentId}',
  worktreePath: '{worktree}',
  storyFile: '{storyFile}',
  promptFile: '{promptFile}',
  feedbackFile: '{feedbackFile}',
} as unknown as AgentInvocationContext;

function agentTemplate(presetName: string, command: string[] | null): { argv: string[]; stdin: string | null } {
  let preset: AgentPreset;
  if (presetName === 'command') {
    if (!command) return { argv: [], stdin: null };
    preset = commandPreset(command);
  } else if (presetName === 'scripted') {
    // The same in every process (its real path depends on the install and on node vs Electron).
    return { argv: [...SCRIPTED_AGENT_TEMPLATE], stdin: null };
  } else {
    preset = claudeCodePreset(command ? { command } : {});
  }
  const inv = preset.invocation(PLACEHOLDER_CONTEXT);
  return { argv: inv.argv, stdin: inv.stdinFile ?? null };
}

/**
 * Everything a session of these stories would run, from the project's wave.config.json as it
 * is now (what a session started now reads) and the stories' validation commands.
 * `agentPreset`: the preset the session runs with when it is not wave.config.json's (the
 * Settings view, `--agent`); the approval covers that preset, its arguments and its environment.
 */
export async function authorisedRuns(
  repoPath: string | null,
  stories: Array<{ storyId: string; content: unknown }>,
  agentPreset?: string,
): Promise<RunsSnapshot> {
  let config: WaveConfig | null = null;
  let problem: string | null = null;
  if (repoPath) {
    try {
      config = (await loadWaveConfig(repoPath)).config;
    } catch (e) {
      problem =
        e instanceof WaveConfigError
          ? e.message
          : `${path.join(repoPath, WAVE_CONFIG_FILE)} could not be read: ${(e as Error).message}`;
    }
  }
  const preset = agentPreset ?? config?.agent.preset ?? 'claude-code';
  let agent: { argv: string[]; stdin: string | null } = { argv: [], stdin: null };
  if (config) {
    try {
      agent = agentTemplate(preset, config.agent.command);
    } catch (e) {
      problem = `the agent command in ${WAVE_CONFIG_FILE} is not usable: ${(e as Error).message}`;
    }
  }
  const grant = config?.agent.env ?? { pass: [], set: {} };
  const runs: AuthorisedRuns = {
    configFile: repoPath ? path.join(repoPath, WAVE_CONFIG_FILE) : null,
    agent: { preset, argv: agent.argv, stdin: agent.stdin, env: describeGrant(preset, grant) },
    qa: Object.entries(config?.qa ?? {}).map(([name, argv]) => ({ name, argv: [...argv] })),
    setup: config?.worktree.setup ? [...config.worktree.setup] : null,
    validation: stories
      .map((s) => ({
        storyId: s.storyId,
        commands: validationArgvs(s.content as { validation?: { commands?: unknown } }),
      }))
      .filter((v) => v.commands.length > 0),
    problem,
  };
  const setValueHashes = Object.fromEntries(Object.entries(grant.set).map(([k, v]) => [k, sha256Hex(v)]));
  return { runs, setValueHashes, hash: sha256Hex(canonicalJson({ runs, setValueHashes })) };
}

const argvText = (argv: readonly string[] | null | undefined) => (argv && argv.length ? JSON.stringify(argv) : 'none');

function diffNames(what: string, before: readonly string[], after: readonly string[], out: string[]): void {
  const added = after.filter((n) => !before.includes(n));
  const removed = before.filter((n) => !after.includes(n));
  if (added.length) out.push(`${what} added ${added.join(', ')}`);
  if (removed.length) out.push(`${what} removed ${removed.join(', ')}`);
}

/** What changed between the runs an approval covered and the runs now, one phrase each (e.g. `QA command "test" changed`). */
export function describeRunChanges(before: RunsSnapshot, now: RunsSnapshot): string[] {
  const out: string[] = [];
  const a = before.runs;
  const b = now.runs;
  if (b.problem && b.problem !== a.problem) out.push(b.problem);
  if (a.configFile !== b.configFile) out.push(`the project's config file is now ${b.configFile ?? 'none'}`);
  if (a.agent.preset !== b.agent.preset)
    out.push(`it was approved for agent preset ${a.agent.preset}, not for ${b.agent.preset}`);
  else if (canonicalJson(a.agent.argv) !== canonicalJson(b.agent.argv) || a.agent.stdin !== b.agent.stdin)
    out.push(`the agent command changed from ${argvText(a.agent.argv)} to ${argvText(b.agent.argv)}`);
  diffNames('agent.env.pass', a.agent.env.pass, b.agent.env.pass, out);
  diffNames('agent.env.set', a.agent.env.set, b.agent.env.set, out);
  for (const name of b.agent.env.set) {
    if (a.agent.env.set.includes(name) && before.setValueHashes[name] !== now.setValueHashes[name])
      out.push(`agent.env.set changed the value of ${name}`);
  }
  if (a.agent.preset === b.agent.preset && canonicalJson(a.agent.env.preset) !== canonicalJson(b.agent.env.preset))
    diffNames(`the ${b.agent.preset} preset's environment`, a.agent.env.preset, b.agent.env.preset, out);
  const qaBefore = new Map(a.qa.map((c) => [c.name, c.argv]));
  const qaNow = new Map(b.qa.map((c) => [c.name, c.argv]));
  for (const [name, argv] of qaNow) {
    if (!qaBefore.has(name)) out.push(`QA command "${name}" added`);
    else if (canonicalJson(qaBefore.get(name)) !== canonicalJson(argv)) out.push(`QA command "${name}" changed`);
  }
  for (const name of qaBefore.keys()) if (!qaNow.has(name)) out.push(`QA command "${name}" removed`);
  const common = (list: AuthorisedRuns['qa'], other: Map<string, string[]>) =>
    list.map((c) => c.name).filter((n) => other.has(n));
  if (
    out.every((c) => !c.startsWith('QA command')) &&
    common(a.qa, qaNow).join('\0') !== common(b.qa, qaBefore).join('\0')
  )
    out.push('the order of the QA commands changed');
  if (canonicalJson(a.setup) !== canonicalJson(b.setup))
    out.push(`the setup command changed from ${argvText(a.setup)} to ${argvText(b.setup)}`);
  const valBefore = new Map(a.validation.map((v) => [v.storyId, v.commands]));
  const valNow = new Map(b.validation.map((v) => [v.storyId, v.commands]));
  for (const id of new Set([...valBefore.keys(), ...valNow.keys()])) {
    if (canonicalJson(valBefore.get(id) ?? []) !== canonicalJson(valNow.get(id) ?? []))
      out.push(`the validation commands of story ${id} changed`);
  }
  if (out.length === 0 && before.hash !== now.hash) out.push('the commands the approval covers changed');
  return out;
}
