import { ExecutorError, StoryMerger, type MergeResult, type MergeStrategy, type PrepareMergeResult } from '../executor';
import type { WorktreeManager } from '../executor';
import type { FleetClone } from './fleet-clone';

/**
 * Gate-6 and gate-7 on a fleet worker: the same merges as a local run (StoryMerger, so merge
 * commit subjects keep naming the story), over the worker's clone, with the remote as the
 * truth. Gate-6 first brings the local target up to the remote's. Gate-7 runs inside
 * `land` (the store's advisory lock of the target, with the story run's lease checked), lands
 * locally, then pushes the result to the remote's target WITHOUT force: if the remote moved
 * meanwhile git refuses, the local target goes back to the remote's and the story goes back
 * to gate-6 (`target_moved`), as a local run does when the target moved.
 */
export class FleetMerger extends StoryMerger {
  constructor(
    private readonly wt: WorktreeManager,
    options: { strategy?: MergeStrategy },
    private readonly fleet: {
      clone: FleetClone;
      /** Runs the landing under the target's lock with the lease checked (LeaseLostError otherwise). */
      land<T>(fn: () => Promise<T>): Promise<T>;
    },
  ) {
    super(wt, options);
  }

  /** Under the clone's repository lock, which is this worktree manager's (see FleetClone). */
  private syncTarget(): Promise<string> {
    return this.fleet.clone.syncTarget(this.wt.targetBranch);
  }

  override async mergeTargetIntoStory(storyId: string): Promise<PrepareMergeResult> {
    await this.syncTarget();
    return super.mergeTargetIntoStory(storyId);
  }

  override mergeStoryIntoTarget(
    storyId: string,
    options: { strategy?: MergeStrategy; message?: string; expectHead?: string } = {},
  ): Promise<MergeResult> {
    const target = this.wt.targetBranch;
    return this.fleet.land(async () => {
      await this.syncTarget();
      const r = await super.mergeStoryIntoTarget(storyId, options);
      // Already in the remote's target (a worker landed it and died before its checkpoint).
      if (r.alreadyMerged) return r;
      if (await this.fleet.clone.pushTarget(r.sha, target)) return r;
      await this.syncTarget();
      throw new ExecutorError(
        'target_moved',
        `${target} moved on the remote ${this.fleet.clone.remote} while story ${storyId} was being landed; the push was refused and nothing landed. Back to gate-6.`,
        { storyId, sha: r.sha },
      );
    });
  }
}
