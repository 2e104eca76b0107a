import { Writable } from 'node:stream';
import { runCli } from '../../src/main/cli/cli';

/** A stream that collects what is written to it as text, as it is written. */
function capture(): { stream: Writable; text: () => string } {
  const decoder = new TextDecoder();
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      done();
    },
  });
  return { stream, text: () => text };
}

/**
 * Runs `wave <argv>` in this process (no process start) with the given commands, as from a
 * pipe (not a TTY), and returns its exit code and what it printed.
 */
export async function runCliCaptured(
  argv: readonly string[],
  o: {
    commands: Parameters<typeof runCli>[2];
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    version?: string;
  },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const err = capture();
  const code = await runCli(
    argv,
    { stdout: out.stream, stderr: err.stream, env: o.env ?? {}, cwd: o.cwd ?? process.cwd(), isTTY: false },
    o.commands,
    o.version ?? 'test',
  );
  return { code, stdout: out.text(), stderr: err.text() };
}
