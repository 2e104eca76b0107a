import { spawn } from 'node:child_process';
import { basePolicy, buildChildEnv } from './agent-env';
import { ExecutorError } from './errors';

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface GitRunOptions {
  /** `name=value` pairs passed as `-c name=value` (e.g. a committer identity). */
  config?: string[];
  /** Exit codes that are answers rather than failures (e.g. 1 for `merge-base --is-ancestor`). */
  allowExitCodes?: number[];
  /** Variables set for this run only, after ambient GIT_* are dropped (e.g. a temporary GIT_INDEX_FILE). */
  env?: Record<string, string>;
  /** Written to git's standard input, which is then closed (e.g. `update-ref --stdin` commands). */
  input?: string;
}

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Runs `git <args>` in `cwd` with an argument array (never a shell string) and returns
 * its output and exit code. Any exit code not allowed throws a `git_failed`
 * ExecutorError that quotes git's own message.
 *
 * Why not simple-git here: simple-git 4 waits an extra 50 ms after every command that
 * prints nothing (update-ref, merge-base --is-ancestor, worktree remove, status of a
 * clean tree…), which is most of what the executor runs; it added ~0.5 s per story and
 * a third of the time to start one. This runner keeps its guarantees: argv only, no
 * shell, and ambient GIT_* variables (GIT_DIR, GIT_INDEX_FILE… set when wave runs inside
 * a git hook) are dropped so they can never redirect a command to another repository.
 */
export function runGit(cwd: string, args: string[], options: GitRunOptions = {}): Promise<GitResult> {
  const argv: string[] = [];
  for (const c of options.config ?? []) argv.push('-c', c);
  argv.push(...args);
  return new Promise((resolve, reject) => {
    const child = spawn('git', argv, {
      cwd,
      env: { ...gitEnv(), ...(options.env ?? {}) },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) {
      // git exits without reading all of it when a command fails: its answer is in the exit code.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(options.input);
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT_BYTES) into.push(chunk);
    };
    child.stdout!.on('data', collect(out));
    child.stderr!.on('data', collect(err));
    child.once('error', (error) =>
      reject(
        new ExecutorError(
          'git_failed',
          `Could not run "git ${args.join(' ')}" in ${cwd}: ${error.message}. Check that git is installed and the folder exists.`,
          { cwd, args },
        ),
      ),
    );
    child.once('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const exitCode = code ?? 128;
      if (exitCode !== 0 && !(options.allowExitCodes ?? []).includes(exitCode)) {
        reject(
          new ExecutorError(
            'git_failed',
            `"git ${args.join(' ')}" failed in ${cwd} (${signal ? `killed by ${signal}` : `exit ${exitCode}`}): ${stderr.trim() || stdout.trim() || 'no output'}`,
            { cwd, args, exitCode, stderr, stdout },
          ),
        );
        return;
      }
      resolve({ stdout, stderr, exitCode });
    });
  });
}

/**
 * git's environment is the base of agent-env.ts too: a hook or filter an agent left in the
 * repository runs inside WAVE's own git commands, and must see no more than the agent did.
 * (No ambient GIT_* either: the base has none.)
 */
export function gitEnv(): NodeJS.ProcessEnv {
  // Never wait for a password or an editor: the executor runs unattended.
  return buildChildEnv(basePolicy(), { GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true' }).env;
}

/** Splits NUL-separated git output (`-z`), dropping the empty tail. */
export function splitNul(text: string): string[] {
  const parts = text.split('\0');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}
