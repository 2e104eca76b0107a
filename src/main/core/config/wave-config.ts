import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileReport, StoryIssue } from '../../../shared/stories';
import { ajvErrorsToIssues, placeOf, valueAt, type HintTable } from '../stories/issues';
import { findDuplicateKeys, locate, parseJsonText } from '../stories/json-text';
import { validatorFor, WAVE_CONFIG_SCHEMA } from '../stories/schemas';
import { readInputFile } from '../stories/story-files';
import { closestName, findUnknownFields } from '../stories/unknown-fields';
import { grantProblem, type EnvGrant } from '../executor/agent-env';

/*
 * wave.config.json at the root of a target repository, validated against
 * schemas/wave-config.schema.json. Every field is optional; missing ones take the defaults
 * below. Commands are argument arrays so nothing from a config or a story reaches a shell.
 */

export const WAVE_CONFIG_FILE = 'wave.config.json';

/** Name of the domain whose globs every story may change. */
export const SHARED_DOMAIN = 'SHARED';

export interface WaveConfig {
  targetBranch: string;
  /** `remote`: the git remote fleet workers clone, fetch from and push to (any path or URL git can use); null: none. */
  project: { remote: string | null };
  /** Domain name → globs of the paths its stories may change; SHARED applies to every story. Empty: no boundary check. */
  domains: Record<string, string[]>;
  /** QA commands in run order (object key order), name → argv. */
  qa: Record<string, string[]>;
  /** `env`: what agents and commands may see of WAVE's environment beyond the base (agent-env.ts). */
  /** `subagents.maxPerStory`: how many subagents (spawn lines) one story's agents may start. */
  agent: {
    preset: 'command' | 'claude-code';
    command: string[] | null;
    env: EnvGrant;
    subagents: { maxPerStory: number };
  };
  concurrency: number;
  /** Spending limit of a session in USD; null = no limit. */
  budgetUsd: number | null;
  execution: { max_retries: number; timeout_minutes: number };
  /** Context packs (src/main/core/context): the token budget of the files a story's agent is pointed at. */
  context: { budgetTokens: number };
  merge: { strategy: 'ff' | 'merge'; requireApproval: boolean };
  worktree: { copy: string[]; setup: string[] | null };
  /** Snapshots taken before destructive git operations: how long `wave backups --prune` keeps them. */
  backups: { keepDays: number; keepPerStory: number };
}

/**
 * A story's context pack budget when wave.config.json sets none: about a quarter of a
 * 200K-token context window, enough for a story's files, their neighbours and tests.
 */
export const DEFAULT_CONTEXT_BUDGET_TOKENS = 50_000;

export const DEFAULT_WAVE_CONFIG: Readonly<WaveConfig> = Object.freeze<WaveConfig>({
  targetBranch: 'main',
  project: { remote: null },
  domains: {},
  qa: {},
  agent: { preset: 'claude-code', command: null, env: { pass: [], set: {} }, subagents: { maxPerStory: 2 } },
  concurrency: 4,
  budgetUsd: 10,
  execution: { max_retries: 3, timeout_minutes: 60 },
  context: { budgetTokens: DEFAULT_CONTEXT_BUDGET_TOKENS },
  merge: { strategy: 'merge', requireApproval: false },
  worktree: { copy: [], setup: null },
  backups: { keepDays: 30, keepPerStory: 20 },
});

const CONFIG_HINTS: HintTable = {
  '/targetBranch': { what: 'the branch stories merge into, e.g. "main"' },
  '/project/remote': { what: 'a git remote path or URL, e.g. "git@host:team/app.git"' },
  '/domains/*': { what: 'a list of globs, e.g. ["src/auth/**"]' },
  '/qa/*': { what: 'an argument list such as ["npm", "test"]' },
  '/agent/preset': { what: '"claude-code" or "command"' },
  '/agent/env/pass': { what: 'a list of environment variable names, e.g. ["GITHUB_TOKEN"]' },
  '/agent/env/set/*': { what: 'a string value' },
  '/agent/subagents/maxPerStory': { what: 'a whole number of subagents per story between 0 and 20, e.g. 2' },
  '/agent/command': { what: 'the argument list of your agent, e.g. ["./scripts/agent.sh", "{prompt_file}"]' },
  '/concurrency': { what: 'a whole number of parallel stories, e.g. 4' },
  '/budgetUsd': { what: 'a number of US dollars, e.g. 10 (null for no limit)' },
  '/merge/strategy': { what: '"merge" or "ff"' },
  '/worktree/setup': { what: 'an argument list such as ["npm", "ci"]' },
  '/context/budgetTokens': { what: 'a whole number of tokens between 1000 and 2000000, e.g. 50000' },
  '/backups/keepDays': { what: 'a whole number of days, e.g. 30' },
  '/backups/keepPerStory': { what: 'a whole number of snapshots per story, e.g. 20' },
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fills in defaults; `raw` must already be valid against the schema. */
export function applyConfigDefaults(raw: Record<string, unknown>): WaveConfig {
  const d = DEFAULT_WAVE_CONFIG;
  const obj = (k: string): Record<string, unknown> => (isRecord(raw[k]) ? (raw[k] as Record<string, unknown>) : {});
  const agent = obj('agent');
  const agentEnv = isRecord(agent.env) ? agent.env : {};
  const execution = obj('execution');
  const merge = obj('merge');
  const context = obj('context');
  const worktree = obj('worktree');
  const backups = obj('backups');
  const project = obj('project');
  return {
    targetBranch: (raw.targetBranch as string | undefined) ?? d.targetBranch,
    project: { remote: (project.remote as string | undefined) ?? d.project.remote },
    domains: { ...((raw.domains as Record<string, string[]> | undefined) ?? d.domains) },
    qa: { ...((raw.qa as Record<string, string[]> | undefined) ?? d.qa) },
    agent: {
      preset: (agent.preset as WaveConfig['agent']['preset'] | undefined) ?? d.agent.preset,
      command: (agent.command as string[] | undefined) ?? d.agent.command,
      env: {
        pass: [...((agentEnv.pass as string[] | undefined) ?? [])],
        set: { ...((agentEnv.set as Record<string, string> | undefined) ?? {}) },
      },
      subagents: {
        maxPerStory:
          ((isRecord(agent.subagents) ? agent.subagents.maxPerStory : undefined) as number | undefined) ??
          d.agent.subagents.maxPerStory,
      },
    },
    concurrency: (raw.concurrency as number | undefined) ?? d.concurrency,
    budgetUsd: 'budgetUsd' in raw ? (raw.budgetUsd as number | null) : d.budgetUsd,
    execution: {
      max_retries: (execution.max_retries as number | undefined) ?? d.execution.max_retries,
      timeout_minutes: (execution.timeout_minutes as number | undefined) ?? d.execution.timeout_minutes,
    },
    context: { budgetTokens: (context.budgetTokens as number | undefined) ?? d.context.budgetTokens },
    merge: {
      strategy: (merge.strategy as WaveConfig['merge']['strategy'] | undefined) ?? d.merge.strategy,
      requireApproval: (merge.requireApproval as boolean | undefined) ?? d.merge.requireApproval,
    },
    worktree: {
      copy: [...((worktree.copy as string[] | undefined) ?? d.worktree.copy)],
      setup: (worktree.setup as string[] | undefined) ?? d.worktree.setup,
    },
    backups: {
      keepDays: (backups.keepDays as number | undefined) ?? d.backups.keepDays,
      keepPerStory: (backups.keepPerStory as number | undefined) ?? d.backups.keepPerStory,
    },
  };
}

/** Names in agent.env that cannot be granted (bad names, DATABASE_URL, REDIS_URL, WAVE_*), with where they are. */
function grantIssues(value: Record<string, unknown>): Array<{
  pointer: string;
  where: 'key' | 'value';
  field: 'pass' | 'set';
  name: string;
  problem: string;
  suggestion: string;
}> {
  const agent = isRecord(value.agent) ? value.agent : {};
  const env = isRecord(agent.env) ? agent.env : {};
  const out: ReturnType<typeof grantIssues> = [];
  const suggestion =
    'Remove it. An agent never gets DATABASE_URL, REDIS_URL or WAVE_* variables; WAVE sets the WAVE_* values an agent needs itself.';
  if (Array.isArray(env.pass)) {
    env.pass.forEach((name, i) => {
      const problem = typeof name === 'string' ? grantProblem(name) : null;
      if (problem)
        out.push({
          pointer: `/agent/env/pass/${i}`,
          where: 'value',
          field: 'pass',
          name: name as string,
          problem,
          suggestion,
        });
    });
  }
  if (isRecord(env.set)) {
    for (const name of Object.keys(env.set)) {
      const problem = grantProblem(name);
      if (problem)
        out.push({
          pointer: `/agent/env/set/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
          where: 'key',
          field: 'set',
          name,
          problem,
          suggestion,
        });
    }
  }
  return out;
}

export interface ConfigValidation extends FileReport {
  kind: 'config';
  /** The config with defaults applied, when valid. */
  config: WaveConfig | null;
}

export function validateWaveConfigText(text: string, file = WAVE_CONFIG_FILE): ConfigValidation {
  const parsed = parseJsonText(text);
  const base = { file, kind: 'config' as const, version: null, config: null };
  if (!parsed.ok) {
    const p = parsed.problem;
    return {
      ...base,
      valid: false,
      errors: [
        {
          severity: 'error',
          code: 'json-syntax',
          file,
          pointer: '',
          line: p.line,
          column: p.column,
          message: p.message,
          suggestion: p.suggestion,
        },
      ],
      warnings: [],
    };
  }
  const { value, tree, lines } = parsed;
  if (!isRecord(value)) {
    return {
      ...base,
      valid: false,
      errors: [
        {
          severity: 'error',
          code: 'type',
          file,
          pointer: '',
          line: 1,
          column: 1,
          message: 'wave.config.json must hold one JSON object.',
          suggestion: 'Write {} for all defaults, or run wave init for a commented starting file.',
        },
      ],
      warnings: [],
    };
  }
  const validate = validatorFor(WAVE_CONFIG_SCHEMA);
  const errors: StoryIssue[] = [];
  if (!validate(value)) {
    errors.push(
      ...ajvErrorsToIssues(
        validate.errors,
        { file, tree, lines, data: value, hints: CONFIG_HINTS, rulesName: 'wave-config.schema.json' },
        WAVE_CONFIG_SCHEMA,
      ),
    );
  }
  for (const e of errors) {
    // A shell string where an argv is expected is the most likely mistake: say how to split it.
    if (
      e.code === 'type' &&
      typeof e.value === 'string' &&
      /^\/(qa\/[^/]+|agent\/command|worktree\/setup)$/.test(e.pointer)
    ) {
      e.suggestion = `Write it as an argument list, e.g. ${JSON.stringify(e.value.trim().split(/\s+/))}; commands never go through a shell, so quoting, pipes and && do not work (put those in a script and run the script).`;
    }
  }
  for (const g of grantIssues(value)) {
    const pos = locate(tree, lines, g.pointer, g.where);
    errors.push({
      severity: 'error',
      code: 'env-grant',
      file,
      pointer: g.pointer,
      line: pos.line,
      column: pos.column,
      message: `agent.env.${g.field}: ${g.problem}.`,
      suggestion: g.suggestion,
      value: g.name,
    });
  }
  for (const d of findDuplicateKeys(tree, lines)) {
    errors.push({
      severity: 'error',
      code: 'duplicate-key',
      file,
      pointer: d.pointer,
      line: d.second.line,
      column: d.second.column,
      message: `"${d.key}" appears twice (first at line ${d.first.line}); only the second would count.`,
      suggestion: `Remove one of the two "${d.key}" entries.`,
    });
  }
  const warnings: StoryIssue[] = findUnknownFields(WAVE_CONFIG_SCHEMA, value).map((u) => {
    const pos = locate(tree, lines, u.pointer, 'key');
    const guess = closestName(u.key, u.known);
    return {
      severity: 'warning',
      code: 'unknown-field',
      file,
      pointer: u.pointer,
      line: pos.line,
      column: pos.column,
      message: `Unknown setting "${u.key}" ${placeOf(u.pointer)}: WAVE ignores it.`,
      suggestion: guess ? `Did you mean "${guess}"?` : `Remove it; known settings here: ${u.known.join(', ')}.`,
      value: valueAt(value, u.pointer),
    };
  });
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  const valid = errors.length === 0;
  return { ...base, valid, errors, warnings, config: valid ? applyConfigDefaults(value) : null };
}

export interface LoadedWaveConfig {
  /** False when the repository has no wave.config.json (defaults apply). */
  found: boolean;
  path: string;
  config: WaveConfig;
  warnings: StoryIssue[];
}

/** Raised when a repository's wave.config.json exists but is invalid; `report` says where. */
export class WaveConfigError extends Error {
  constructor(readonly report: FileReport) {
    const first = report.errors[0];
    super(
      `${report.file} is not valid` +
        (first ? `: line ${first.line}, column ${first.column}: ${first.message} ${first.suggestion}` : '.') +
        (report.errors.length > 1
          ? ` (${report.errors.length - 1} more problem${report.errors.length > 2 ? 's' : ''}: run wave validate ${report.file})`
          : ''),
    );
    this.name = 'WaveConfigError';
  }
}

/** Loads `<repoDir>/wave.config.json` with defaults; a missing file means all defaults. Throws WaveConfigError when invalid. */
export async function loadWaveConfig(repoDir: string): Promise<LoadedWaveConfig> {
  const file = path.join(repoDir, WAVE_CONFIG_FILE);
  try {
    await fs.access(file);
  } catch {
    return { found: false, path: file, config: applyConfigDefaults({}), warnings: [] };
  }
  const read = await readInputFile(file);
  if (!read.ok) {
    throw new WaveConfigError({
      file,
      kind: 'config',
      valid: false,
      version: null,
      errors: [
        {
          severity: 'error',
          code: read.code,
          file,
          pointer: '',
          line: 1,
          column: 1,
          message: read.message,
          suggestion: read.suggestion,
        },
      ],
      warnings: [],
    });
  }
  const report = validateWaveConfigText(read.text, file);
  if (!report.config) throw new WaveConfigError(report);
  return { found: true, path: file, config: report.config, warnings: report.warnings };
}
