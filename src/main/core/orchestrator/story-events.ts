import { isDoneStory } from '../../../shared/status';
import type { GateId, StoryRun, StoryRunStatus } from '../../store';
import { oneLine } from './gates/types';
import type { StoryEnv } from './story-env';

/** What a story tells the event bus and the lead as it moves through the gates. */
export class StoryEvents {
  private startedAt = Date.now();
  private started = false;

  constructor(
    private readonly env: StoryEnv,
    private readonly run: () => StoryRun,
  ) {}

  private get base() {
    return { session: this.env.sessionId, story: this.run().storyId };
  }

  async gateStarted(gate: GateId, attempt: number): Promise<void> {
    if (!this.started) {
      this.started = true;
      this.startedAt = Date.now();
      const r = this.run();
      await this.env.out.publish({ ...this.base, type: 'story_started', wave: r.waveNumber, agent: r.agent });
    }
    await this.env.out.publish({ ...this.base, type: 'gate_started', gate, attempt });
  }

  async gateEnded(e: {
    gate: GateId;
    attempt: number;
    failed: boolean;
    reason: string | undefined;
    durationMs: number;
    willRetry: boolean;
    checkpointId: number;
    stateHash: string;
  }): Promise<void> {
    if (e.failed) {
      await this.env.out.publish({
        ...this.base,
        type: 'gate_failed',
        gate: e.gate,
        attempt: e.attempt,
        reason: oneLine(e.reason ?? 'failed', 2000) || 'failed',
        duration_ms: e.durationMs,
        will_retry: e.willRetry,
      });
    } else {
      await this.env.out.publish({
        ...this.base,
        type: 'gate_passed',
        gate: e.gate,
        attempt: e.attempt,
        duration_ms: e.durationMs,
      });
    }
    await this.env.out.publish({
      ...this.base,
      type: 'checkpoint_saved',
      gate: e.gate,
      checkpoint_id: e.checkpointId,
      state_hash: e.stateHash,
    });
  }

  /** The story's run ended at `gate` (merged, escalated, failed, blocked or stopped). */
  async finished(status: StoryRunStatus, gate: GateId, reason: string | undefined, qaFixes: number): Promise<void> {
    const r = this.run();
    this.env.out.setProgress(r.id, null);
    if (isDoneStory(status)) {
      const sha = r.mergeSha && /^[0-9a-f]{7,64}$/.test(r.mergeSha) ? r.mergeSha : undefined;
      await this.env.out.publish({
        ...this.base,
        type: 'story_completed',
        ...(sha ? { merge_sha: sha } : {}),
        duration_ms: Date.now() - this.startedAt,
      });
    } else if (status === 'escalated') {
      const why = reason ?? 'QA kept failing';
      await this.env.out.publish({
        ...this.base,
        type: 'escalation',
        reason: oneLine(why, 2000) || 'escalated',
        gate,
        attempts: qaFixes,
      });
      this.env.out.notice('escalation', `Story ${r.storyId} needs a person`, why);
    } else if (status === 'failed' || status === 'blocked') {
      await this.env.out.publish({
        ...this.base,
        type: 'story_failed',
        reason: oneLine(reason ?? status, 2000) || status,
        gate,
      });
    }
  }

  async failedBeforeStart(reason: string, gate: GateId): Promise<void> {
    await this.env.out.publish({ ...this.base, type: 'story_failed', reason: oneLine(reason, 2000), gate });
  }

  async waitsForMergeApproval(why: string): Promise<void> {
    await this.env.out.publish({ ...this.base, type: 'escalation', reason: oneLine(why, 2000), gate: 'gate-7' });
    this.env.out.notice('escalation', `Story ${this.run().storyId} waits for your merge approval`, why);
  }
}
