import type { ParseArgsConfig } from 'node:util';
import { OrchestratorError } from '../core/orchestrator/errors';
import type { WaveSettings } from '../core/settings/wave-settings';

export type CliOptions = NonNullable<ParseArgsConfig['options']>;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** True when stdout is a terminal (live progress lines are drawn only then). */
  isTTY: boolean;
}

export interface CliContext extends CliIo {
  json: boolean;
  /** The environment resolved once (data dir, DATABASE_URL, REDIS_URL, actor, …); commands read nothing else. */
  settings: WaveSettings;
  /** The command being run ("run", "serve", …); absent before one is recognised. */
  command?: string;
  /** Writes `data` as one JSON document with --json, otherwise the human text. */
  output(data: unknown, human: () => string): void;
  /** Human-facing line on stderr (kept off stdout so --json stays parseable). */
  info(line: string): void;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export interface CliCommand {
  name: string;
  summary: string;
  /** e.g. "wave validate <paths…> [--json] [--migrate]" */
  usage: string;
  options?: CliOptions;
  /** Extra help text printed under usage. */
  help?: string;
  /** Returns the process exit code. Throw CliError for a clean message + code. */
  run(ctx: CliContext, args: ParsedArgs): Promise<number>;
}

/**
 * A command registered by name whose module is imported only when it runs (or for --help),
 * so `wave --version` and each command load nothing they do not use.
 */
export interface LazyCliCommand {
  name: string;
  load(): Promise<CliCommand>;
}

/** What runCli accepts: commands, or lazy entries that import them on demand. */
export type CliCommandSource = CliCommand | LazyCliCommand;

/** A failure with a message meant for a person and the exit code to leave with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
    readonly code: string = 'error',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit code for bad usage (unknown option, missing argument). */
export const EXIT_USAGE = 2;

/** Bad usage (exit code EXIT_USAGE, code `usage`); with `usage`, the command's usage line follows the message. */
export function usageError(message: string, usage?: string): CliError {
  return new CliError(usage === undefined ? message : `${message}\nUsage: ${usage}`, EXIT_USAGE, 'usage');
}

/** An orchestrator's refusal as the CLI's error (its message and code); anything else is rethrown. */
export function orchestratorToCli(e: unknown): never {
  if (e instanceof OrchestratorError) throw new CliError(e.message, 1, e.code);
  throw e;
}

/** `--budget USD` (`$5`, `5`, or `none` for no limit); undefined when not given. */
export function parseBudgetOption(raw: unknown): number | null | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw).trim().toLowerCase();
  if (text === 'none' || text === 'unlimited') return null;
  const n = Number(text.replace(/^\$/, ''));
  if (!Number.isFinite(n) || n < 0)
    throw usageError(`--budget ${raw}: give a number of US dollars (e.g. --budget 5), or "none" for no limit.`);
  return n;
}

/**
 * The `--json` form of a view's fields: `wave`'s JSON keys are the fields' names in snake_case
 * (`stoppedAgents` → `stopped_agents`), in the order given.
 */
export function snakeCased<T extends object, K extends keyof T & string>(
  view: T,
  keys: readonly K[],
): Record<string, T[K]> {
  const out: Record<string, T[K]> = {};
  for (const k of keys) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = view[k];
  return out;
}
