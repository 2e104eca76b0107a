import type { CliCommand } from '../cli-types';
import { demoCommand } from './demo';
import { diffCommand } from './diff';
import { importCommand } from './import';
import { initCommand } from './init';
import { approveMergeCommand, overrideDomainCommand } from './decisions';
import { prdCommand } from './prd';
import { recoverCommand } from './recover';
import { reviewCommand } from './review';
import { createResumeCommand } from './resume';
import { continueFromRecovery, runCommand } from './run';
import { serveCommand } from './serve';
import { signalCommand } from './signal';
import { statusCommand } from './status';
import { stopCommand } from './stop';
import { validateCommand } from './validate';

// `wave resume` applies the recovery strategy in the store, then hands the session to the
// orchestrator, which continues it to the end in this process.
const resumeCommand = createResumeCommand({ claimsSession: true, continueSession: continueFromRecovery });

/** Every `wave` command, in the order `wave --help` lists them. */
export const commands: readonly CliCommand[] = [
  initCommand,
  validateCommand,
  importCommand,
  prdCommand,
  runCommand,
  statusCommand,
  stopCommand,
  recoverCommand,
  resumeCommand,
  overrideDomainCommand,
  approveMergeCommand,
  diffCommand,
  reviewCommand,
  demoCommand,
  signalCommand,
  serveCommand,
];
