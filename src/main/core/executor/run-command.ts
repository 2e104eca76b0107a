import { spawn } from 'node:child_process';
import { basePolicy, buildChildEnv } from './agent-env';
import { ProcessGroups } from './process-groups';

export interface RunCommandOptions {
  cwd: string;
  /** The child's whole environment: build it with buildChildEnv (agent-env.ts); default: base names only. */
  env?: Record<string, string>;
  timeoutMs: number;
  /** Grace between SIGTERM and SIGKILL when the timeout hits. */
  graceMs?: number;
  /** Keep at most this many characters of combined output (the tail). */
  maxOutputChars?: number;
  /** Register the process group here so `stopAll(sessionId)` reaches it too. */
  groups?: ProcessGroups;
  sessionId?: string;
  storyId?: string;
  label?: string;
}

export interface RunCommandResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** stdout and stderr interleaved as they arrived (the tail when long). */
  output: string;
  durationMs: number;
  /** Set when the command could not be started at all (e.g. ENOENT). */
  spawnError?: string;
}

/**
 * Runs an argv (never a shell string) in its own process group, with a timeout that
 * stops the whole group; whatever the command leaves running when it exits is stopped
 * too. For per-worktree setup commands and the QA/validation commands of a gate.
 */
export async function runCommand(argv: string[], options: RunCommandOptions): Promise<RunCommandResult> {
  const started = Date.now();
  if (argv.length === 0 || argv.some((a) => typeof a !== 'string' || a.includes('\0'))) {
    return {
      exitCode: null,
      signal: null,
      timedOut: false,
      output: '',
      durationMs: 0,
      spawnError: 'the command is empty or has an invalid argument',
    };
  }
  const max = options.maxOutputChars ?? 64 * 1024;
  const groups = options.groups ?? new ProcessGroups();
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > max * 2) output = output.slice(-max);
  };
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: options.env ?? buildChildEnv(basePolicy(), {}).env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const record =
    child.pid !== undefined
      ? groups.register({
          pid: child.pid,
          sessionId: options.sessionId ?? 'local',
          storyId: options.storyId,
          label: options.label ?? argv[0]!,
        })
      : undefined;
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let timedOut = false;
  let spawnError: string | undefined;
  const timer = setTimeout(
    () => {
      timedOut = true;
      if (record) void groups.terminate([record], options.graceMs ?? 2_000);
    },
    Math.min(Math.max(1, options.timeoutMs), 2 ** 31 - 1),
  );

  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('error', (error) => {
      spawnError = error.message;
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const { code, signal } = await exited;
  clearTimeout(timer);
  // The leader is gone; whatever it left in its group (holding our pipes open) goes too.
  if (record) await groups.terminate([record], 0);
  if (child.pid !== undefined) await closed;
  return {
    exitCode: code,
    signal,
    timedOut,
    output: output.length > max ? output.slice(-max) : output,
    durationMs: Date.now() - started,
    spawnError,
  };
}
