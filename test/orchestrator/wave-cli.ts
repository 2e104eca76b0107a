/*
 * `wave` from the sources with one more command, `continue`, that calls continueSession
 * directly (a test harness; users have `wave resume`). startWave runs it only for `continue`;
 * every other command runs the built `wave`.
 * Usage: node --import tsx test/orchestrator/wave-cli.ts continue <session> [--json]
 */
import { runCli } from '../../src/main/cli/cli';
import { commands } from '../../src/main/cli/commands';
import { continueCommand } from './continue-command';

const code = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), isTTY: false },
  [...commands, continueCommand],
  'test',
);
process.stdout.write('', () => process.exit(code));
