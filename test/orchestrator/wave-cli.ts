/*
 * `wave` with the orchestrator's commands (run, status, stop, demo), `wave resume` wired to
 * the orchestrator the way the app should wire it, and a `continue` that calls
 * continueSession — whatever src/main/cli/commands/index.ts registers today.
 * Usage: node --import tsx test/orchestrator/wave-cli.ts <command> …
 */
import { runCli } from '../../src/main/cli/cli';
import { commands } from '../../src/main/cli/commands';
import { demoCommand } from '../../src/main/cli/commands/demo';
import { createResumeCommand } from '../../src/main/cli/commands/resume';
import { continueFromRecovery, runCommand } from '../../src/main/cli/commands/run';
import { statusCommand } from '../../src/main/cli/commands/status';
import { stopCommand } from '../../src/main/cli/commands/stop';
import { continueCommand } from './continue-command';

const resumeCommand = createResumeCommand({ claimsSession: true, continueSession: continueFromRecovery });
const mine = [runCommand, statusCommand, stopCommand, demoCommand, resumeCommand, continueCommand];
const all = [...commands.filter((c) => !mine.some((m) => m.name === c.name)), ...mine];
const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), isTTY: false }, all, 'test');
process.stdout.write('', () => process.exit(code));
