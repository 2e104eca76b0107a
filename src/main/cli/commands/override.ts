import os from 'node:os';
import { RecoveryError, resumeSession } from '../../core/checkpointer';
import { grantDomainOverride } from '../../core/orchestrator';
import { CliError, EXIT_USAGE, type CliCommand } from '../cli-types';
import { cliActor } from './import';
import { openRecoveryStore } from './recover';
import { renderPlan, toResumeJson } from './resume';
import { continueFromRecovery, orchestratorToCli } from './run';

/**
 * `wave override-domain`: a lead allows the out-of-domain paths a story's gate-3 listed, with
 * a reason, and the session continues here with that story from gate-3 (as `wave resume`).
 */
export const overrideDomainCommand: CliCommand = {
  name: 'override-domain',
  summary: "Allow the paths outside its domain a story's gate-3 listed, with a reason, and continue the session",
  usage: 'wave override-domain <session> <story> --reason "<why>" [--force] [--json]',
  help: [
    'Only for a story that failed gate-3 because it changed paths outside its domain, in a session that has',
    'ended or been stopped. The decision (who, why, which paths) goes to the audit log; the story runs gate-3',
    'again and passes for exactly those paths: a path added later needs a decision of its own. Paths that leave',
    'the worktree and uncommitted changes can never be overridden. The rest of the session resumes from its last',
    'checkpoints, in this process, as with wave resume. --force resumes even if the owner process looks alive.',
  ].join('\n'),
  options: {
    reason: { type: 'string', short: 'r' },
    force: { type: 'boolean' },
  },
  async run(ctx, args) {
    const [sessionId, storyId, ...extra] = args.positionals;
    if (!sessionId || !storyId || extra.length) {
      throw new CliError(`wave override-domain takes a session id and a story id.\nUsage: ${overrideDomainCommand.usage}`, EXIT_USAGE, 'usage');
    }
    const reason = String(args.values.reason ?? '').trim();
    if (!reason) throw new CliError(`--reason is required: say why the out-of-domain changes are acceptable.\nUsage: ${overrideDomainCommand.usage}`, EXIT_USAGE, 'usage');
    const actor = cliActor(ctx.env);
    const store = await openRecoveryStore(ctx);
    try {
      const grant = await grantDomainOverride(store, { sessionId, storyId, reason, actor }).catch(orchestratorToCli);
      ctx.info(`${actor} allowed story ${storyId} to change ${grant.paths.join(', ')} outside domain ${grant.domain}: ${reason}`);
      let result;
      try {
        result = await resumeSession(store, sessionId, {
          strategy: 'resume_from_last',
          perStory: { [storyId]: { strategy: 'resume_from_gate', gate: 'gate-3' } },
          force: args.values.force === true,
          actor,
          claimAs: { pid: process.pid, host: os.hostname() },
        });
      } catch (e) {
        if (e instanceof RecoveryError) throw new CliError(`The override is recorded, but the session could not be resumed: ${e.message}`, 1, e.code);
        throw e;
      }
      const doc = { override: grant, ...toResumeJson(result) };
      doc.continued = await continueFromRecovery(store, result, ctx);
      ctx.output(doc, () => renderPlan(doc));
      return result.stories.some((s) => s.action === 'error') ? 1 : 0;
    } finally {
      await store.close();
    }
  },
};
