/*
 * What a child WAVE starts for a story (agent, QA and validation commands, the worktree
 * setup command) may see of the app's environment: an allowlist, never the whole thing.
 *
 *   base (PATH, HOME, USER, LOGNAME, LANG, LC_*, TERM, TMPDIR, SHELL, TZ)
 *   + the names the agent preset needs (agents only, e.g. ANTHROPIC_API_KEY for claude-code)
 *   + wave.config.json agent.env.pass (names copied from the app's environment)
 *   + wave.config.json agent.env.set (fixed values)
 *   + what WAVE itself sets (WAVE_AGENT_VARIABLES below, and its own fixed values)
 *
 * DATABASE_URL, REDIS_URL and every WAVE_* name are never copied or granted: they would
 * give an agent write access to WAVE's own records (approvals, decisions).
 */

import type { GrantedEnvNames } from '../../../shared/stories';

/**
 * The WAVE_* variables WAVE itself gives an agent (agent-runner.ts sets them per run). No
 * grant can name a WAVE_* variable; these are the only ones an agent sees.
 */
export const WAVE_AGENT_VARIABLES = [
  'WAVE_SESSION_ID',
  'WAVE_STORY_ID',
  'WAVE_GATE',
  'WAVE_PHASE',
  'WAVE_STORY_FILE',
  'WAVE_PROMPT_FILE',
  'WAVE_AGENT_ID',
  /** QA output or a lead's review, for a fix or a develop phase that answers a review. */
  'WAVE_FEEDBACK_FILE',
  /** The story's context pack as JSON (src/main/core/context): the files it needs, ranked, within context.budgetTokens. */
  'WAVE_CONTEXT_FILE',
  /** 1 in a subagent (an agent another agent asked for): it cannot start subagents itself. */
  'WAVE_SUBAGENT_DEPTH',
] as const;
export type WaveAgentVariable = (typeof WAVE_AGENT_VARIABLES)[number];

/** Copied from the app's environment into every child when present. */
const BASE_ENV_NAMES: readonly string[] = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'TERM', 'TMPDIR', 'SHELL', 'TZ'];
/** Every LC_* (locale categories) is part of the base too. */
const BASE_ENV_PREFIX = 'LC_';
/** What a Windows process needs to start at all (spawn fails without SystemRoot). */
const WINDOWS_BASE_ENV_NAMES: readonly string[] = [
  'SystemRoot',
  'ComSpec',
  'PATHEXT',
  'TEMP',
  'TMP',
  'USERPROFILE',
  'WINDIR',
  'APPDATA',
  'LOCALAPPDATA',
];

/** Names a grant may never name (and no default includes). */
function isNeverGranted(name: string): boolean {
  const upper = name.toUpperCase();
  return upper === 'DATABASE_URL' || upper === 'REDIS_URL' || upper.startsWith('WAVE_');
}

/** A name an environment variable may have in a grant (letters, digits, underscores; not starting with a digit). */
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot be granted, or null when it can. */
export function grantProblem(name: string): string | null {
  if (!ENV_NAME_PATTERN.test(name))
    return `"${name}" is not an environment variable name (letters, digits and _ only, not starting with a digit)`;
  if (isNeverGranted(name))
    return `"${name}" is never given to agents: DATABASE_URL, REDIS_URL and WAVE_* would let an agent change WAVE's own records`;
  return null;
}

/** wave.config.json `agent.env`. */
export interface EnvGrant {
  /** Names copied from the app's environment (when set there). */
  pass: string[];
  /** Fixed values. */
  set: Record<string, string>;
}

const NO_GRANT: Readonly<EnvGrant> = Object.freeze({ pass: [], set: {} });

/** Names an agent preset needs from the app's environment; `when` groups apply only when their switch is set. */
interface PresetEnvDefaults {
  always: readonly string[];
  when: ReadonlyArray<{ set: string; names: readonly string[] }>;
}

const CLAUDE_CODE_ENV: PresetEnvDefaults = {
  // Claude Code's documented authentication, endpoint, model and proxy variables.
  always: [
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_AUTH_TOKEN',
    'ANTHROPIC_BASE_URL',
    'ANTHROPIC_CUSTOM_HEADERS',
    'ANTHROPIC_MODEL',
    'ANTHROPIC_SMALL_FAST_MODEL',
    'ANTHROPIC_DEFAULT_OPUS_MODEL',
    'ANTHROPIC_DEFAULT_SONNET_MODEL',
    'ANTHROPIC_DEFAULT_HAIKU_MODEL',
    'CLAUDE_CODE_OAUTH_TOKEN',
    'CLAUDE_CONFIG_DIR',
    'CLAUDE_CODE_USE_BEDROCK',
    'CLAUDE_CODE_USE_VERTEX',
    'HTTP_PROXY',
    'HTTPS_PROXY',
    'NO_PROXY',
  ],
  when: [
    {
      set: 'CLAUDE_CODE_USE_BEDROCK',
      names: [
        'AWS_REGION',
        'AWS_PROFILE',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_BEARER_TOKEN_BEDROCK',
        'ANTHROPIC_BEDROCK_BASE_URL',
        'ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION',
        'CLAUDE_CODE_SKIP_BEDROCK_AUTH',
      ],
    },
    {
      set: 'CLAUDE_CODE_USE_VERTEX',
      names: [
        'ANTHROPIC_VERTEX_PROJECT_ID',
        'CLOUD_ML_REGION',
        'GOOGLE_APPLICATION_CREDENTIALS',
        'ANTHROPIC_VERTEX_BASE_URL',
        'CLAUDE_CODE_SKIP_VERTEX_AUTH',
      ],
    },
  ],
};

const NO_DEFAULTS: PresetEnvDefaults = { always: [], when: [] };

/** The names an agent preset takes from the app's environment by default (`command` and `scripted`: none). */
function presetEnvDefaults(preset: string): PresetEnvDefaults {
  return preset === 'claude-code' ? CLAUDE_CODE_ENV : NO_DEFAULTS;
}

/** The names (never values) the PRD review, `wave prd show` and Settings list; `LC_*` stands for every locale variable. */
export function describeGrant(preset: string, grant: EnvGrant): GrantedEnvNames {
  const d = presetEnvDefaults(preset);
  return {
    base: [...BASE_ENV_NAMES, `${BASE_ENV_PREFIX}*`],
    preset: [...d.always, ...d.when.flatMap((g) => g.names.map((n) => `${n} (when ${g.set} is set)`))],
    pass: grant.pass.filter((n) => !isNeverGranted(n)),
    set: Object.keys(grant.set).filter((n) => !isNeverGranted(n)),
  };
}

/** How children of one session get their environment. */
export interface ChildEnvPolicy {
  /** The app's environment (the source of base, preset and `pass` names). */
  parent: NodeJS.ProcessEnv;
  grant: EnvGrant;
  /** Values WAVE's own code sets for every child (e.g. a test's process tag). */
  fixed?: Record<string, string>;
}

export interface BuiltEnv {
  env: Record<string, string>;
  /** The names the child got, sorted (for logs and gate run records; never the values). */
  names: string[];
}

const isSet = (v: string | undefined): boolean =>
  v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';

function copyFrom(parent: NodeJS.ProcessEnv, names: Iterable<string>, into: Record<string, string>): void {
  for (const name of names) {
    if (isNeverGranted(name)) continue;
    const value = parent[name];
    if (typeof value === 'string') into[name] = value;
  }
}

/**
 * The one place a story's child environment is built. `agentPreset` set: an agent (gets
 * the preset's defaults too); absent: a QA, validation or setup command. `own` are the
 * values WAVE sets for this child (WAVE_SESSION_ID, …); they win over everything.
 */
export function buildChildEnv(policy: ChildEnvPolicy, own: Record<string, string>, agentPreset?: string): BuiltEnv {
  const { parent } = policy;
  const env: Record<string, string> = {};
  const base = [
    ...BASE_ENV_NAMES,
    ...(process.platform === 'win32' ? WINDOWS_BASE_ENV_NAMES : []),
    ...Object.keys(parent).filter((k) => k.startsWith(BASE_ENV_PREFIX)),
  ];
  copyFrom(parent, base, env);
  if (agentPreset !== undefined) {
    const d = presetEnvDefaults(agentPreset);
    copyFrom(parent, d.always, env);
    for (const group of d.when) if (isSet(parent[group.set])) copyFrom(parent, group.names, env);
  }
  copyFrom(parent, policy.grant.pass, env);
  for (const [name, value] of Object.entries(policy.grant.set))
    if (!isNeverGranted(name) && typeof value === 'string') env[name] = value;
  Object.assign(env, policy.fixed ?? {}, own);
  return { env, names: Object.keys(env).sort() };
}

/** A policy that grants nothing beyond the base (the default when a caller gives none). */
export function basePolicy(parent: NodeJS.ProcessEnv = process.env): ChildEnvPolicy {
  return { parent, grant: NO_GRANT };
}
