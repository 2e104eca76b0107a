import { runCli } from './cli';
import { commands } from './commands';
import { packageVersion } from './version';

const code = await runCli(
  process.argv.slice(2),
  {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    isTTY: !!process.stdout.isTTY,
  },
  commands,
  packageVersion(),
);
// Leave once stdout has drained: a handle some library forgot to release must never keep a
// finished command hanging. Long-running commands (serve, run) resolve only when done.
process.stdout.write('', () => process.exit(code));
