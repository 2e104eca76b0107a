import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store, StoryRun } from '../../store';
import { repositories } from '../../store/repos';
import { runGit } from '../executor/git';
import { storySubject } from '../orchestrator/domain-override';
import { OrchestratorError } from '../orchestrator/errors';
import { MERGE_APPROVED } from '../orchestrator/merge-approval';
import { SessionFiles } from '../orchestrator/session-files';
import { sessionStory } from './session-story';
import { COMMIT_ID, DRIVEN_SESSION_STATUSES } from '../../../shared/ipc/decision-rules';
import {
  MAX_REVIEW_COMMENTS,
  type ReviewComment,
  type ReviewCommentInput,
  type ReviewRound,
  type ReviewSide,
  type ReviewThread,
} from '../../../shared/ipc/review';

/** A comment queued for a story's next attempt (written while it runs, or before a verdict). */
export const REVIEW_COMMENT_QUEUED = 'review.comment_queued';
/** A lead sent the story back to gate-2 with comments; the next develop phase gets them as feedback. */
export const REVIEW_CHANGES_REQUESTED = 'review.changes_requested';

/** Longest commented line kept with a comment. */
const MAX_CODE_CHARS = 500;
/** Story statuses whose branch a lead can send back: the story waits or has ended without merging. */
const SEND_BACK_STATUSES: ReadonlySet<string> = new Set(['blocked', 'failed', 'stopped', 'escalated']);

interface StoredComment {
  path: string | null;
  line: number | null;
  side: ReviewSide;
  text: string;
  code: string | null;
  headSha: string | null;
}

interface Context {
  run: StoryRun;
  repo: string;
  targetBranch: string;
  sessionStatus: string;
  git(args: string[], allow?: number[]): ReturnType<typeof runGit>;
}

async function context(store: Store, sessionId: string, storyId: string): Promise<Context> {
  const { run, config, sessionStatus } = await sessionStory(store, sessionId, storyId);
  const repo = config.repoPath;
  return {
    run,
    repo,
    targetBranch: config.targetBranch,
    sessionStatus,
    git: (args, allow = []) => runGit(repo, ['-c', 'core.quotepath=false', ...args], { allowExitCodes: allow }),
  };
}

async function branchTip(ctx: Context): Promise<string | null> {
  if (ctx.run.branch) {
    const r = await ctx.git(['rev-parse', '--verify', '--quiet', `refs/heads/${ctx.run.branch}^{commit}`], [1, 128]);
    if (r.exitCode === 0) return r.stdout.trim();
  }
  return ctx.run.mergeSha;
}

/** The text of one line of a file at a commit (the old side: where the branch left the target), or null. */
async function lineAt(
  ctx: Context,
  head: string,
  c: { path: string | null; line: number | null; side: ReviewSide },
): Promise<string | null> {
  if (c.path === null || c.line === null) return null;
  let commit = head;
  if (c.side === 'old') {
    const mb = await ctx.git(['merge-base', `refs/heads/${ctx.targetBranch}`, head], [1, 128]);
    if (mb.exitCode !== 0) return null;
    commit = mb.stdout.trim();
  }
  const r = await ctx.git(['show', `${commit}:${c.path}`], [128]);
  if (r.exitCode !== 0) return null;
  const text = r.stdout.split('\n')[c.line - 1];
  if (text === undefined) return null;
  return text.length > MAX_CODE_CHARS ? `${text.slice(0, MAX_CODE_CHARS - 1)}…` : text;
}

async function capture(ctx: Context, head: string, comments: readonly ReviewCommentInput[]): Promise<StoredComment[]> {
  if (comments.length > MAX_REVIEW_COMMENTS)
    throw new OrchestratorError(
      'invalid_request',
      `At most ${MAX_REVIEW_COMMENTS} comments at once; nothing was recorded.`,
    );
  const out: StoredComment[] = [];
  for (const c of comments) {
    const side = c.side ?? 'new';
    const code = await lineAt(ctx, head, { ...c, side });
    if (c.line !== null && code === null) {
      throw new OrchestratorError(
        'invalid_request',
        `${c.path}:${c.line} is not a line of the story's branch at ${head.slice(0, 12)}${side === 'old' ? ' (before its changes)' : ''}; nothing was recorded.`,
      );
    }
    out.push({ path: c.path, line: c.line, side, text: c.text.trim(), code, headSha: head });
  }
  return out;
}

function storedComments(value: unknown): StoredComment[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v) => {
    const c = (v ?? {}) as Record<string, unknown>;
    if (typeof c.text !== 'string') return [];
    return [
      {
        path: typeof c.path === 'string' ? c.path : null,
        line: typeof c.line === 'number' ? c.line : null,
        side: c.side === 'old' ? 'old' : 'new',
        text: c.text,
        code: typeof c.code === 'string' ? c.code : null,
        headSha: typeof c.headSha === 'string' ? c.headSha : null,
      } satisfies StoredComment,
    ];
  });
}

function reviewRows(store: Store, sessionId: string, storyId: string, actions: string[]) {
  return repositories(store).audit.aboutSubject('story', storySubject(sessionId, storyId), actions);
}

/** Ids of queued comments already sent with a request for changes. */
function sentIds(rows: { action: string; detail: Record<string, unknown> | null }[]): Set<number> {
  const ids = new Set<number>();
  for (const r of rows)
    if (r.action === REVIEW_CHANGES_REQUESTED && Array.isArray(r.detail?.queuedIds))
      for (const id of r.detail.queuedIds) if (typeof id === 'number') ids.add(id);
  return ids;
}

/**
 * Queues comments on a story's changes for its next attempt: allowed at any time, also while
 * an agent writes the branch (the comments name the commit they were written on). They go
 * with the next request for changes, or to the next develop phase.
 */
export async function queueReviewComments(
  store: Store,
  req: { sessionId: string; storyId: string; actor: string; comments: ReviewCommentInput[]; headSha?: string },
): Promise<ReviewComment[]> {
  const actor = req.actor.trim();
  if (!actor)
    throw new OrchestratorError('invalid_request', 'A comment needs the name of who writes it; nothing was recorded.');
  if (req.comments.length === 0)
    throw new OrchestratorError('invalid_request', 'No comment given; nothing was recorded.');
  const ctx = await context(store, req.sessionId, req.storyId);
  const head = req.headSha ?? (await branchTip(ctx));
  if (!head)
    throw new OrchestratorError(
      'precondition_failed',
      `Story ${req.storyId} has no branch yet; comment once gate-0 has created it.`,
    );
  const comments = await capture(ctx, head, req.comments);
  const rows = await repositories(store).audit.appendReturning(
    comments.map((comment) => ({
      actor,
      action: REVIEW_COMMENT_QUEUED,
      subjectType: 'story',
      subjectId: storySubject(req.sessionId, req.storyId),
      detail: { storyRunId: ctx.run.id, comment },
    })),
  );
  return rows.map((r, i) => ({ ...comments[i]!, id: String(r.id), actor, at: r.at.toISOString(), touched: null }));
}

/**
 * A lead sends a story back to gate-2 with comments: checked (no process drives the session,
 * the story waits or ended without merging, its branch is still at the reviewed commit) and
 * recorded with the comments queued so far. The reviewed commit is kept under
 * refs/wave/reviewed/ so the next attempt can start from it and nothing is lost. The caller
 * then resumes the session with this story from gate-2.
 */
export async function requestChanges(
  store: Store,
  req: {
    sessionId: string;
    storyId: string;
    actor: string;
    comments: ReviewCommentInput[];
    summary?: string;
    headSha?: string;
  },
): Promise<ReviewRound> {
  const actor = req.actor.trim();
  if (!actor)
    throw new OrchestratorError('invalid_request', 'A review needs the name of who reviews; nothing was recorded.');
  const ctx = await context(store, req.sessionId, req.storyId);
  if (DRIVEN_SESSION_STATUSES.has(ctx.sessionStatus)) {
    throw new OrchestratorError(
      'conflict',
      `Session ${req.sessionId} is ${ctx.sessionStatus}; queue your comments now and request changes once the story waits or has ended. Nothing was sent back.`,
    );
  }
  const { run } = ctx;
  if (!SEND_BACK_STATUSES.has(run.status)) {
    throw new OrchestratorError(
      'precondition_failed',
      `Story ${req.storyId} is ${run.status}; only a story that waits or has ended without merging can be sent back. Nothing was sent back.`,
    );
  }
  const tip = run.branch ? await branchTip(ctx) : null;
  if (!tip || tip === run.mergeSha)
    throw new OrchestratorError(
      'precondition_failed',
      `Story ${req.storyId} has no branch to change; nothing was sent back.`,
    );
  const seen = req.headSha?.trim().toLowerCase();
  if (seen !== undefined && (!COMMIT_ID.test(seen) || !tip.startsWith(seen))) {
    throw new OrchestratorError(
      'conflict',
      `The branch of ${req.storyId} is now at ${tip.slice(0, 12)}, not the ${seen.slice(0, 12)} you reviewed; review it again. Nothing was sent back.`,
    );
  }
  const comments = await capture(ctx, tip, req.comments);
  const earlier = await reviewRows(store, req.sessionId, req.storyId, [
    REVIEW_COMMENT_QUEUED,
    REVIEW_CHANGES_REQUESTED,
  ]);
  const sent = sentIds(earlier);
  const queued = earlier
    .filter((r) => r.action === REVIEW_COMMENT_QUEUED && r.detail?.storyRunId === run.id && !sent.has(r.id))
    .reverse();
  const all = [...queued.flatMap((r) => storedComments([r.detail?.comment])), ...comments];
  const summary = req.summary?.trim() || null;
  if (all.length === 0 && !summary)
    throw new OrchestratorError(
      'invalid_request',
      'Say what to change: a comment on a line, a file or the whole change. Nothing was sent back.',
    );
  const [row] = await repositories(store).audit.appendReturning([
    {
      actor,
      action: REVIEW_CHANGES_REQUESTED,
      subjectType: 'story',
      subjectId: storySubject(req.sessionId, req.storyId),
      detail: {
        storyRunId: run.id,
        epoch: run.epoch,
        headSha: tip,
        branch: run.branch,
        summary,
        comments: all,
        queuedIds: queued.map((r) => r.id),
      },
    },
  ]);
  // Keep the reviewed commit reachable whatever the next attempt does to the branch.
  await ctx.git(['update-ref', `refs/wave/reviewed/${req.sessionId}/${req.storyId}/${row!.id}`, tip]);
  return toRound(row!, all, actor);
}

function toRound(
  row: { id: number; at: Date; actor: string; detail: Record<string, unknown> | null },
  comments: StoredComment[],
  actor = row.actor,
): ReviewRound {
  return {
    id: row.id,
    verdict: 'changes_requested',
    actor,
    at: row.at.toISOString(),
    headSha: String(row.detail?.headSha ?? ''),
    summary: typeof row.detail?.summary === 'string' ? row.detail.summary : null,
    comments: comments.map((c, i) => ({ ...c, id: `${row.id}:${i}`, actor, at: row.at.toISOString(), touched: null })),
  };
}

/** Old-side line ranges a diff changed in one file (from -U0 hunk headers). */
async function changedOldLines(
  ctx: Context,
  from: string,
  to: string,
  path: string,
): Promise<Array<[number, number]> | null> {
  const r = await ctx.git(['diff', '--no-color', '--no-ext-diff', '--unified=0', from, to, '--', path], [128]);
  if (r.exitCode !== 0) return null;
  const ranges: Array<[number, number]> = [];
  for (const m of r.stdout.matchAll(/^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@/gm)) {
    const start = Number(m[1]);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (count > 0) ranges.push([start, start + count - 1]);
  }
  return ranges;
}

/** Whether the branch at `head` changed what a comment written on `c.headSha` pointed at; null when not known. */
async function touched(
  ctx: Context,
  c: StoredComment,
  head: string | null,
  cache: Map<string, Array<[number, number]> | null>,
): Promise<boolean | null> {
  if (!head || !c.headSha || c.headSha === head || c.path === null || c.side === 'old') return null;
  const key = `${c.headSha}|${c.path}`;
  if (!cache.has(key)) cache.set(key, await changedOldLines(ctx, c.headSha, head, c.path));
  const ranges = cache.get(key);
  if (!ranges) return null;
  if (c.line === null) return ranges.length > 0;
  return ranges.some(([a, b]) => c.line! >= a && c.line! <= b);
}

/**
 * A story's review: each request for changes and merge approval with its comments (and, for
 * comments on an earlier commit, whether the branch has since changed the commented line),
 * plus the comments queued for its next attempt.
 */
export async function reviewThread(store: Store, sessionId: string, storyId: string): Promise<ReviewThread> {
  const ctx = await context(store, sessionId, storyId);
  const head = await branchTip(ctx);
  const rows = await reviewRows(store, sessionId, storyId, [
    REVIEW_COMMENT_QUEUED,
    REVIEW_CHANGES_REQUESTED,
    MERGE_APPROVED,
  ]);
  const sent = sentIds(rows);
  const cache = new Map<string, Array<[number, number]> | null>();
  const mark = async (c: ReviewComment): Promise<ReviewComment> => ({
    ...c,
    touched: await touched(ctx, c, head, cache),
  });
  const rounds: ReviewRound[] = [];
  const queued: ReviewComment[] = [];
  for (const r of rows) {
    if (r.action === REVIEW_CHANGES_REQUESTED) {
      const round = toRound(r, storedComments(r.detail?.comments));
      rounds.push({ ...round, comments: await Promise.all(round.comments.map(mark)) });
    } else if (r.action === MERGE_APPROVED) {
      const d = r.detail ?? {};
      rounds.push({
        id: r.id,
        verdict: 'approved',
        actor: r.actor,
        at: r.at.toISOString(),
        headSha: String(d.headSha ?? ''),
        summary: typeof d.comment === 'string' ? d.comment : null,
        comments: [],
      });
    } else if (r.detail?.storyRunId === ctx.run.id && !sent.has(r.id)) {
      for (const c of storedComments([r.detail?.comment]))
        queued.push(await mark({ ...c, id: String(r.id), actor: r.actor, at: r.at.toISOString(), touched: null }));
    }
  }
  return { sessionId, storyId, headSha: head, rounds, queued: queued.reverse() };
}

function feedbackText(
  storyId: string,
  round: { actor: string; headSha: string | null; summary: string | null },
  comments: StoredComment[],
): string {
  const lines = [
    `# Review of ${storyId}: changes requested`,
    '',
    round.headSha
      ? `${round.actor} reviewed commit ${round.headSha} and asks for these changes. Change what each comment asks, keep the rest, and commit.`
      : `${round.actor} left these comments for your next attempt.`,
    '',
  ];
  if (round.summary) lines.push('## Overall', '', round.summary, '');
  comments.forEach((c, i) => {
    const where =
      c.path === null
        ? 'the whole change'
        : c.line === null
          ? `file ${c.path}`
          : `${c.path}, line ${c.line}${c.side === 'old' ? ' (a removed line, before the change)' : ''}`;
    lines.push(`## Comment ${i + 1}: ${where}`, '');
    if (c.code !== null) lines.push('Commented code:', '', '```', c.code, '```', '');
    lines.push(c.text, '');
  });
  return `${lines.join('\n').trimEnd()}\n`;
}

/**
 * The review feedback a story run's next develop phase gets (WAVE_FEEDBACK_FILE), or null:
 * the latest request for changes that no develop phase has passed since, plus comments
 * queued since the last develop phase passed. Written to the session files as
 * review-<id>.md; headSha is the reviewed commit the develop phase starts from (null for
 * queued comments only). A develop phase that fails or is interrupted gets it again.
 */
export async function pendingReviewFeedback(
  store: Store,
  run: StoryRun,
  files: SessionFiles,
): Promise<{ feedbackFile: string; headSha: string | null } | null> {
  const rows = await reviewRows(store, run.sessionId, run.storyId, [REVIEW_COMMENT_QUEUED, REVIEW_CHANGES_REQUESTED]);
  const mine = rows.filter((r) => r.detail?.storyRunId === run.id);
  const since = await repositories(store).gateRuns.lastPassedAt(run.id, 'gate-2');
  const fresh = (r: { at: Date }) => since === null || r.at > since;
  const request = mine.find((r) => r.action === REVIEW_CHANGES_REQUESTED && fresh(r)) ?? null;
  const sent = sentIds(rows);
  const queued = mine.filter((r) => r.action === REVIEW_COMMENT_QUEUED && !sent.has(r.id) && fresh(r)).reverse();
  if (!request && queued.length === 0) return null;
  const comments = [
    ...storedComments(request?.detail?.comments),
    ...queued.flatMap((r) => storedComments([r.detail?.comment])),
  ];
  const headSha = typeof request?.detail?.headSha === 'string' ? request.detail.headSha : null;
  const summary = typeof request?.detail?.summary === 'string' ? request.detail.summary : null;
  const file = join(files.storyDir(run.storyId), `review-${request?.id ?? queued.at(-1)!.id}.md`);
  SessionFiles.write(
    file,
    feedbackText(run.storyId, { actor: request?.actor ?? queued[0]!.actor, headSha, summary }, comments),
  );
  return { feedbackFile: file, headSha };
}

/** The develop prompt's instruction when a review asked for changes: the feedback itself, and where it is. */
export function reviewPromptSection(feedbackFile: string): string {
  let text = '';
  try {
    text = readFileSync(feedbackFile, 'utf8');
  } catch {
    // The file is named below either way.
  }
  return [
    `A reviewer asked for changes to this story's branch. The review is in ${feedbackFile} (WAVE_FEEDBACK_FILE):`,
    '',
    text.trim(),
    '',
    'Make the requested changes and commit them on the branch.',
  ].join('\n');
}

/** An approval's comment: the lead's summary and any line comments, as one text for the audit log. */
export function reviewApprovalComment(
  summary: string | undefined,
  comments: readonly ReviewCommentInput[],
): string | null {
  const lines = [
    summary?.trim() ?? '',
    ...comments.map(
      (c) => `${c.path === null ? '' : c.line === null ? `${c.path}: ` : `${c.path}:${c.line}: `}${c.text.trim()}`,
    ),
  ].filter((l) => l.length > 0);
  return lines.length ? lines.join('\n') : null;
}
