import { planWaves, type ApprovalStatus, type AuthorisedRuns, type WavePlan } from '../../../shared/stories';
import type { Prd, PrdDecision, Store, Story, WaveQueryable } from '../../store';
import { repositories, type Repos, type StoreRepos } from '../../store/repos';
import { sha256Hex } from '../hash';
import { authorisedRuns, describeRunChanges, type RunsSnapshot } from './authorised-runs';

/*
 * PRD approval bound to content: an approval records the sha256 of the PRD text and of every
 * story it covers. It stands only while all of them are unchanged; a re-import that changes
 * any of them voids it (status 'void', decision.voidedAt), and approvalStatus re-checks the
 * hashes itself, so even a row edited behind WAVE's back is not taken as approved.
 * It also covers every command a session would run (authorised-runs.ts): a change of a QA,
 * setup, validation or agent command, or of what the agent may see of the environment,
 * voids it too, and the reason names what changed. An approval is for one agent preset (its
 * argument template and environment): a session asking for another one is refused until the
 * PRD is approved for that preset.
 */

/** What the PRD service works on: the opened store (reached through its repositories). */
export type PrdStore = Store;

export interface DecisionInput {
  /** Who decides, as this process knows it (the OS user or WAVE_USER): what the record and the audit log hold. */
  by: string;
  comment?: string | null;
  /** A name the client gave (e.g. typed in the window, `--by`): shown beside the decision, never taken as the actor. */
  name?: string | null;
  /** The agent preset the approval is for (the Settings view, `--agent`); default wave.config.json's. */
  agentPreset?: string;
}

/** A PRD is not approved (or no longer): the message says why and what to do. */
export class PrdNotApprovedError extends Error {
  override readonly name = 'PrdNotApprovedError';
  constructor(readonly status: ApprovalStatus) {
    super(status.reason);
  }
}

/** An action on a PRD is refused (unknown PRD, wrong state, missing stories…). */
export class PrdActionError extends Error {
  override readonly name = 'PrdActionError';
  constructor(
    message: string,
    readonly code: 'not-found' | 'invalid-state' | 'incomplete' | 'bad-input',
  ) {
    super(message);
  }
}

/** Snapshot of what an approval covered, kept in the audit log entry of the decision. */
interface ApprovalSnapshot {
  decisionId: number;
  contentHash: string;
  stories: Record<string, string>;
  /** The commands the decision covered (absent in approvals made before WAVE recorded them). */
  runs?: RunsSnapshot;
  /** The name the client gave, when it differs from the actor. */
  name?: string | null;
}

export interface PrdView {
  prd: Prd;
  /** Stories the PRD covers that exist in the store, in plan order. */
  stories: Story[];
  /** Ids the PRD lists that are not imported. */
  missingStoryIds: string[];
  plan: WavePlan;
  approval: ApprovalStatus;
  /** Decisions, oldest first; `name` is the name the client gave, when it differs from `by`. */
  decisions: Array<PrdDecision & { name: string | null }>;
  /** Every command approving the PRD authorises (and the environment names the agent gets). */
  runs: AuthorisedRuns;
}

const short = (h: string | null | undefined) => (h ? h.slice(0, 12) : 'none');

function when(d: Date): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** The waves of imported stories, from their content with the columns the store keeps authoritative. */
function planStoryWaves(stories: readonly Story[]): WavePlan {
  return planWaves(
    stories.map((s) => ({
      ...(s.content as object),
      story_id: s.storyId,
      wave_number: s.waveNumber,
      dependencies: s.dependencies,
    })),
  );
}

export class PrdService {
  private readonly repos: StoreRepos;

  constructor(
    store: PrdStore,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.repos = repositories(store);
  }

  /** `q`: a transaction the caller holds, to read inside it. */
  get(prdId: string, q?: WaveQueryable): Promise<Prd | null> {
    return this.repos.on(q).prds.byId(prdId);
  }

  list(projectId?: string): Promise<Prd[]> {
    return this.repos.prds.list(projectId);
  }

  findBySourcePath(sourcePath: string): Promise<Prd | null> {
    return this.repos.prds.bySourcePath(sourcePath);
  }

  private async require(prdId: string, r: Repos, forUpdate = false): Promise<Prd> {
    const prd = await r.prds.byId(prdId, { forUpdate });
    if (!prd)
      throw new PrdActionError(
        `No PRD with id "${prdId}" has been imported. Import it first: wave import <prd.md>.`,
        'not-found',
      );
    return prd;
  }

  /** Stories a PRD covers, looked up in its project (or any project when the PRD has none). */
  private storiesOf(prd: Prd, r: Repos): Promise<Story[]> {
    return r.stories.withIds(prd.projectId, prd.storyIds);
  }

  /** What a session of this PRD would run, from its project's wave.config.json as it is now (and `agentPreset` when given). */
  private async runsOf(prd: Prd, covered: Story[], r: Repos, agentPreset?: string): Promise<RunsSnapshot> {
    const project = prd.projectId ? await r.projects.byId(prd.projectId) : null;
    const order = new Map(prd.storyIds.map((id, i) => [id, i]));
    const sorted = [...covered].sort((a, b) => (order.get(a.storyId) ?? 0) - (order.get(b.storyId) ?? 0));
    return authorisedRuns(
      project?.repoPath ?? null,
      sorted.map((s) => ({ storyId: s.storyId, content: s.content })),
      agentPreset,
    );
  }

  /** Names clients gave with their decisions (audit log), by decision id. */
  private async decisionNames(prdId: string, r: Repos): Promise<Map<number, string>> {
    const names = new Map<number, string>();
    for (const e of await r.audit.prdDecisionEntries(prdId, ['prd.approve', 'prd.reject'])) {
      const d = e.detail as { decisionId?: unknown; name?: unknown } | null;
      if (d && typeof d.decisionId === 'number' && typeof d.name === 'string' && d.name)
        names.set(d.decisionId, d.name);
    }
    return names;
  }

  private async snapshotOf(decision: PrdDecision, r: Repos): Promise<ApprovalSnapshot | null> {
    const entry = await r.audit.prdDecisionEntry(decision.prdId, decision.id, 'prd.approve');
    const d = entry?.detail as Partial<ApprovalSnapshot> | undefined;
    return d && typeof d.contentHash === 'string' && d.stories && typeof d.stories === 'object'
      ? (d as ApprovalSnapshot)
      : null;
  }

  /** `agentPreset`: list (and check the approval for) that preset instead of wave.config.json's. */
  async show(prdId: string, agentPreset?: string): Promise<PrdView> {
    const q = this.repos;
    const prd = await this.require(prdId, q);
    const found = await this.storiesOf(prd, q);
    const byId = new Map(found.map((s) => [s.storyId, s]));
    const missingStoryIds = prd.storyIds.filter((id) => !byId.has(id));
    const plan = planStoryWaves(found);
    const order = plan.waves.flatMap((w) => w.storyIds);
    const names = await this.decisionNames(prdId, q);
    const decisions = (await q.prdDecisions.all(prdId)).map((d) => ({ ...d, name: names.get(d.id) ?? null }));
    const runs = await this.runsOf(prd, found, q, agentPreset);
    return {
      prd,
      stories: order.map((id) => byId.get(id)!).filter(Boolean),
      missingStoryIds,
      plan,
      approval: await this.approvalStatusIn(prdId, q, { agentPreset, runs }),
      decisions,
      runs: runs.runs,
    };
  }

  /**
   * Whether the PRD may run: approved AND the approved hash equals the hash of the current
   * text AND every story it covers is the one that was approved AND it was approved for the
   * agent preset that would run (`agentPreset`, default wave.config.json's). `reason` says what changed.
   */
  async approvalStatus(prdId: string, agentPreset?: string, tx?: WaveQueryable): Promise<ApprovalStatus> {
    return this.approvalStatusIn(prdId, this.repos.on(tx), { agentPreset });
  }

  private async approvalStatusIn(
    prdId: string,
    q: Repos,
    opts: { agentPreset?: string; runs?: RunsSnapshot } = {},
  ): Promise<ApprovalStatus> {
    const prd = await this.require(prdId, q);
    const currentHash = sha256Hex(prd.content);
    const covered = await this.storiesOf(prd, q);
    const runs = opts.runs ?? (await this.runsOf(prd, covered, q, opts.agentPreset));
    const decision = await q.prdDecisions.latest(prdId);
    const live = decision && !decision.voidedAt ? decision : null;
    const base: ApprovalStatus = {
      prdId,
      status: prd.status,
      approved: false,
      currentHash,
      approvedHash: live?.decision === 'approved' ? live.contentHash : null,
      approvedBy: live?.decision === 'approved' ? live.by : null,
      approvedAt: live?.decision === 'approved' ? live.createdAt.toISOString() : null,
      comment: live?.comment ?? null,
      runsHash: runs.hash,
      reason: '',
      changes: [],
    };
    const requested = runs.runs.agent.preset;
    const agentFlag = opts.agentPreset ? ` --agent ${requested}` : '';
    const approveHint = `Read it and its stories (wave prd show ${prdId}${agentFlag}), then approve it: wave prd approve ${prdId}${agentFlag}.`;
    if (prd.status === 'draft' || !decision)
      return { ...base, reason: `PRD ${prdId} has not been approved yet. ${approveHint}` };
    if (prd.status === 'rejected' && live?.decision === 'rejected') {
      return {
        ...base,
        reason: `PRD ${prdId} was rejected by ${live.by} on ${when(live.createdAt)}${live.comment ? `: "${live.comment}"` : ''}. Change it, re-import it, and ask for a new decision.`,
      };
    }
    if (prd.status === 'void' || !live || live.decision !== 'approved') {
      const why = prd.voidReason ?? decision.voidReason ?? 'it changed after the decision';
      return {
        ...base,
        changes: [why],
        reason: `The ${decision.decision === 'approved' ? 'approval' : 'decision'} of PRD ${prdId} by ${decision.by} is void: ${why}. Review the changes, then approve again: wave prd approve ${prdId}${agentFlag}.`,
      };
    }
    // Approved: re-check the hashes rather than trust the status column.
    const changes: string[] = [];
    if (live.contentHash !== currentHash || prd.contentHash !== currentHash) {
      changes.push(`the PRD text changed (approved sha256 ${short(live.contentHash)}…, now ${short(currentHash)}…)`);
    }
    const snapshot = await this.snapshotOf(live, q);
    if (snapshot) {
      const now = new Map(covered.map((s) => [s.storyId, s.contentHash]));
      for (const [id, hash] of Object.entries(snapshot.stories)) {
        if (!prd.storyIds.includes(id)) changes.push(`story ${id} was removed from the PRD`);
        else if (!now.has(id)) changes.push(`story ${id} is no longer imported`);
        else if (now.get(id) !== hash) changes.push(`story ${id} changed`);
      }
      for (const id of prd.storyIds) if (!(id in snapshot.stories)) changes.push(`story ${id} was added to the PRD`);
      if (!snapshot.runs)
        changes.push('the approval does not record the commands it authorises (it predates that check)');
      else if (snapshot.runs.hash !== runs.hash) changes.push(...describeRunChanges(snapshot.runs, runs));
    } else {
      changes.push('the record of what was approved is missing from the audit log');
    }
    const approvedPreset = snapshot?.runs?.runs.agent.preset;
    if (approvedPreset && approvedPreset !== requested) {
      return {
        ...base,
        changes,
        reason: `PRD ${prdId} is approved (by ${live.by} on ${when(live.createdAt)}) for agent preset ${approvedPreset}, not for ${requested}, the preset this would run. Read what ${requested} runs (wave prd show ${prdId} --agent ${requested}), then approve it for that preset: wave prd approve ${prdId} --agent ${requested}. Or run with --agent ${approvedPreset}.`,
      };
    }
    if (changes.length > 0) {
      return {
        ...base,
        changes,
        reason: `PRD ${prdId} was approved by ${live.by} on ${when(live.createdAt)}, but since then ${changes.join('; ')}. Review the changes and approve again: wave prd approve ${prdId}${agentFlag}.`,
      };
    }
    return {
      ...base,
      approved: true,
      reason: `PRD ${prdId} is approved by ${live.by} on ${when(live.createdAt)} for its current text (sha256 ${short(currentHash)}…), ${prd.storyIds.length} stor${prd.storyIds.length === 1 ? 'y' : 'ies'} and the commands listed (sha256 ${short(runs.hash)}…).`,
    };
  }

  /** Throws PrdNotApprovedError (message: what changed, what to do) unless the PRD is approved for its current content. */
  async assertApproved(prdId: string, agentPreset?: string, q?: WaveQueryable): Promise<ApprovalStatus> {
    const status = await this.approvalStatus(prdId, agentPreset, q);
    if (!status.approved) throw new PrdNotApprovedError(status);
    return status;
  }

  async approve(prdId: string, input: DecisionInput): Promise<ApprovalStatus> {
    return this.decide(prdId, 'approved', input);
  }

  async reject(prdId: string, input: DecisionInput): Promise<ApprovalStatus> {
    if (!input.comment?.trim())
      throw new PrdActionError(
        `Say why PRD ${prdId} is rejected: add --comment "…" so its authors know what to change.`,
        'bad-input',
      );
    return this.decide(prdId, 'rejected', input);
  }

  private async decide(
    prdId: string,
    decision: 'approved' | 'rejected',
    input: DecisionInput,
  ): Promise<ApprovalStatus> {
    const by = input.by.trim();
    if (!by)
      throw new PrdActionError('A decision needs the name of the person who takes it: add --by "<name>".', 'bad-input');
    const comment = input.comment?.trim() || null;
    const given = input.name?.trim() || null;
    const name = given && given !== by ? given : null;
    await this.repos.transaction(async (tx) => {
      const prd = await this.require(prdId, tx, true);
      // An approval that no longer holds (a command it covers changed in wave.config.json, or
      // a row edited behind WAVE's back) is voided here, saying why, so a new decision can be made.
      const stale =
        prd.status === 'approved' ? await this.approvalStatusIn(prdId, tx, { agentPreset: input.agentPreset }) : null;
      if (stale && !stale.approved)
        await voidPrdDecision(tx, prdId, stale.changes.join('; ') || 'what it covered changed', by, this.clock());
      else if (prd.status === 'approved' || prd.status === 'rejected') {
        const last = await tx.prdDecisions.latest(prdId);
        throw new PrdActionError(
          `PRD ${prdId} is already ${prd.status}${last ? ` by ${last.by} on ${when(last.createdAt)}` : ''}. A new decision is possible once its text or stories change (re-import them).`,
          'invalid-state',
        );
      }
      const covered = await this.storiesOf(prd, tx);
      if (decision === 'approved') {
        if (prd.storyIds.length === 0) {
          throw new PrdActionError(
            `PRD ${prdId} covers no stories, so approving it would let nothing run. List them in its front matter (stories: [ … ]) or import them with it.`,
            'incomplete',
          );
        }
        const have = new Set(covered.map((s) => s.storyId));
        const missing = prd.storyIds.filter((id) => !have.has(id));
        if (missing.length) {
          throw new PrdActionError(
            `PRD ${prdId} lists ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not imported. Import ${missing.length === 1 ? 'it' : 'them'} (wave import <files>), then approve.`,
            'incomplete',
          );
        }
        const plan = planStoryWaves(covered);
        if (!plan.ok) {
          throw new PrdActionError(
            `The stories of PRD ${prdId} cannot be planned into waves: ${plan.errors.map((e) => e.message).join(' ')} Fix the stories and re-import them, then approve.`,
            'incomplete',
          );
        }
      }
      const contentHash = sha256Hex(prd.content);
      const now = this.clock();
      const row = await tx.prdDecisions.insert({ prdId, decision, by, comment, contentHash, createdAt: now });
      await tx.prds.setStatus(prdId, decision, null, now);
      const runs = await this.runsOf(prd, covered, tx, input.agentPreset);
      const snapshot: ApprovalSnapshot = {
        decisionId: row.id,
        contentHash,
        stories: Object.fromEntries(covered.map((s) => [s.storyId, s.contentHash])),
        runs,
        ...(name ? { name } : {}),
      };
      await tx.audit.append({
        at: now,
        actor: by,
        action: decision === 'approved' ? 'prd.approve' : 'prd.reject',
        subjectType: 'prd',
        subjectId: prdId,
        detail: { ...snapshot, comment },
      });
    });
    return this.approvalStatus(prdId, input.agentPreset);
  }
}

/**
 * Voids the live decision of a PRD inside an import transaction: an approval or rejection
 * was about content that no longer exists. Returns true when something was voided.
 */
export async function voidPrdDecision(
  tx: Repos,
  prdId: string,
  reason: string,
  actor: string,
  now: Date,
): Promise<boolean> {
  const prd = await tx.prds.byId(prdId, { forUpdate: true });
  if (!prd || (prd.status !== 'approved' && prd.status !== 'rejected')) return false;
  await tx.prdDecisions.voidLive(prdId, reason, now);
  await tx.prds.setStatus(prdId, 'void', reason, now);
  await tx.audit.append({
    at: now,
    actor,
    action: 'prd.void',
    subjectType: 'prd',
    subjectId: prdId,
    detail: { reason, previousStatus: prd.status },
  });
  return true;
}
