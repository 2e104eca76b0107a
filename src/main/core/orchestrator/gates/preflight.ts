import { isDoneStory } from '../../../../shared/status';
import { PrdNotApprovedError } from '../../prd';
import { SessionFiles } from '../session-files';
import { oneLine, type GateActivity } from './types';

/** gate-0: story valid, PRD approved, dependencies merged, worktree created. */
export const preflight: GateActivity = async (ctx) => {
  const { story, config, ports } = ctx;
  const storyId = ctx.run.storyId;
  const domains = config.domains;
  if (Object.keys(domains).length > 0 && !(story.domain in domains)) {
    return {
      verdict: { kind: 'failed' },
      reason: `Story ${storyId} has domain "${story.domain}", which wave.config.json does not define (known: ${Object.keys(domains).join(', ')}). Add it under "domains" or fix the story, re-import it, then resume.`,
    };
  }
  try {
    await ports.preflight.assertPrdApproved();
  } catch (e) {
    if (e instanceof PrdNotApprovedError) return { verdict: { kind: 'failed', blocked: true }, reason: e.message };
    throw e;
  }
  const deps = story.dependencies ?? [];
  if (deps.length > 0) {
    const runs = await ports.preflight.storyRuns();
    const byStory = new Map(runs.map((r) => [r.storyId, r]));
    const unmet = deps.map((d) => ({ id: d, run: byStory.get(d) })).filter((d) => d.run && !isDoneStory(d.run.status));
    if (unmet.length > 0) {
      const why = unmet
        .map(
          (d) =>
            `${d.id} ${d.run!.status}${d.run!.currentGate ? ` at ${d.run!.currentGate}` : ''}${d.run!.reason ? ` (${oneLine(d.run!.reason, 160)})` : ''}`,
        )
        .join('; ');
      return {
        verdict: { kind: 'failed', blocked: true },
        reason: `Blocked: depends on ${why}. Fix ${unmet.length === 1 ? 'that story' : 'those stories'} and resume the session.`,
      };
    }
  }
  const created = await ports.worktree.create();
  let baseSha = created.baseSha;
  if (created.reused) {
    // Nothing of this story has passed in this run: whatever an earlier run left on the
    // branch is not the story's state. Start again from the target's tip.
    baseSha = (await ports.worktree.targetTip()) ?? created.baseSha;
    await ports.worktree.restore(baseSha, {
      reason: `restart from gate-0: back to ${ctx.config.targetBranch}`,
      operation: 'restart',
      gate: 'gate-0',
    });
  }
  SessionFiles.write(ctx.files.storyFile(storyId), `${JSON.stringify(story, null, 2)}\n`);
  return {
    verdict: { kind: 'passed' },
    detail: { worktree: created.path, branch: created.branch, reused: created.reused },
    patch: { branch: created.branch, worktreePath: created.path, baseSha },
    headSha: baseSha,
  };
};
