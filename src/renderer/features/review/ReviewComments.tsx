import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ReviewComment, ReviewCommentInput, ReviewRound, ReviewThread } from '../../../shared/ipc/review';
import { MAX_REVIEW_COMMENT_CHARS } from '../../../shared/ipc/review';
import type { StoryRunView } from '../../../shared/ipc/views';
import { inertText } from '../../../shared/text/inert';
import { api } from '../../api/client';
import { describeError } from '../../lib/errors';

/** What makes a story's review change: a gate ending, a new attempt, a merge. */
export function storyMoved(story: StoryRunView): string {
  return `${story.status}|${story.currentGate ?? ''}|${story.attempts}|${story.mergeSha ?? ''}`;
}

/** A story's review thread, read again when the story moves on (a pushed story change) or after a comment. */
export function useReviewThread(story: StoryRunView): {
  thread: ReviewThread | null;
  error: string | null;
  reload: () => void;
} {
  const [thread, setThread] = useState<ReviewThread | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const moved = storyMoved(story);
  useEffect(() => {
    let current = true;
    void api.story.reviewThread({ sessionId: story.sessionId, storyId: story.storyId }).then((res) => {
      if (!current) return;
      if (res.ok) {
        setThread(res.value);
        setError(null);
      } else setError(describeError(`read the review of ${story.storyId}`, res.error));
    });
    return () => {
      current = false;
    };
  }, [story.sessionId, story.storyId, moved, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { thread, error, reload };
}

export function where(c: { path: string | null; line: number | null; side?: string }): string {
  if (c.path === null) return 'the whole change';
  if (c.line === null) return inertText(c.path);
  return `${inertText(c.path)}:${c.line}${c.side === 'old' ? ' (removed line)' : ''}`;
}

function Touched({ c }: { c: ReviewComment }) {
  if (c.touched === null) return null;
  return c.touched ? (
    <span className="review-touched tone-ok" data-testid="comment-touched">
      ✓ changed since
    </span>
  ) : (
    <span className="review-touched tone-warn" data-testid="comment-untouched">
      not changed since
    </span>
  );
}

/** One comment as text (the commented code and the text are untrusted: rendered as text). */
export function CommentView({ c, showWhere = true }: { c: ReviewComment; showWhere?: boolean }) {
  return (
    <div className="review-comment" data-testid="review-comment">
      <div className="small muted">
        {showWhere ? <span className="mono">{where(c)}</span> : null} {c.actor}
        {c.touched === null ? null : (
          <>
            {' '}
            · <Touched c={c} />
          </>
        )}
      </div>
      {c.code !== null && showWhere ? <pre className="review-code mono small">{inertText(c.code)}</pre> : null}
      <p className="review-text">{inertText(c.text)}</p>
    </div>
  );
}

/** A small form for one comment; `target` says what it is on. */
export function CommentForm({
  target,
  onSubmit,
  onCancel,
}: {
  target: string;
  onSubmit: (text: string) => Promise<string | null>;
  onCancel?: () => void;
}) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    const err = await onSubmit(text.trim());
    setBusy(false);
    if (err) setError(err);
    else setText('');
  };
  return (
    <form className="review-form" onSubmit={(e) => void submit(e)} data-testid="comment-form">
      <textarea
        aria-label={`Comment on ${target}`}
        value={text}
        maxLength={MAX_REVIEW_COMMENT_CHARS}
        rows={2}
        onChange={(e) => setText(e.target.value)}
        autoFocus
      />
      <div className="review-form-actions">
        <button
          type="submit"
          className="btn btn-small btn-primary"
          disabled={busy || !text.trim()}
          data-testid="comment-save"
        >
          Add comment
        </button>
        {onCancel ? (
          <button type="button" className="btn btn-small" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
        {error ? <span className="tone-bad small">{error}</span> : null}
      </div>
    </form>
  );
}

/** Saves one comment on the story's changes (queued for its next attempt); returns an error text or null. */
export async function queueComment(
  story: StoryRunView,
  headSha: string,
  comment: ReviewCommentInput,
): Promise<string | null> {
  const res = await api.story.comment({
    sessionId: story.sessionId,
    storyId: story.storyId,
    headSha,
    comments: [comment],
  });
  return res.ok ? null : describeError('save the comment', res.error);
}

function Round({ r }: { r: ReviewRound }) {
  return (
    <li className="review-round" data-testid="review-round" data-verdict={r.verdict}>
      <div>
        <strong>{r.verdict === 'approved' ? 'Approved merge' : 'Requested changes'}</strong> by {r.actor} on{' '}
        <span className="mono">{r.headSha.slice(0, 12)}</span>{' '}
        <span className="muted small">{new Date(r.at).toLocaleString()}</span>
      </div>
      {r.summary ? <p className="review-text">{inertText(r.summary)}</p> : null}
      {r.comments.map((c) => (
        <CommentView key={c.id} c={c} />
      ))}
    </li>
  );
}

/** The verdicts so far, newest first, with their comments, and the comments queued for the next attempt. */
export function ReviewHistory({ thread }: { thread: ReviewThread }) {
  if (thread.rounds.length === 0 && thread.queued.length === 0) return null;
  return (
    <section className="review-history" aria-label="Review" data-testid="review-history">
      <h3>Review</h3>
      {thread.queued.length ? (
        <div data-testid="review-queued">
          <p className="small">
            {thread.queued.length} comment{thread.queued.length === 1 ? '' : 's'} queued for the next attempt (sent with
            the next request for changes, or to the next develop phase):
          </p>
          {thread.queued.map((c) => (
            <CommentView key={c.id} c={c} />
          ))}
        </div>
      ) : null}
      <ol className="review-rounds">
        {thread.rounds.map((r) => (
          <Round key={`${r.verdict}-${r.id}`} r={r} />
        ))}
      </ol>
    </section>
  );
}

/** The review beside a story's attempts in the story detail. */
export function StoryReview({ story }: { story: StoryRunView }) {
  const { thread } = useReviewThread(story);
  return thread ? <ReviewHistory thread={thread} /> : null;
}

/**
 * The lead's verdict on the reviewed commit: request changes (the queued comments and an
 * overall note go back to gate-2) or approve the merge (only while the story waits for it).
 * A running story's comments are only queued.
 */
export function VerdictBar({
  story,
  headSha,
  live,
  queued,
  onDone,
}: {
  story: StoryRunView;
  headSha: string;
  live: boolean;
  queued: number;
  onDone: () => void;
}) {
  const [summary, setSummary] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const canSendBack = !live && !!story.branch && ['blocked', 'failed', 'stopped', 'escalated'].includes(story.status);
  if (story.status === 'merged' || story.status === 'cancelled') return null;
  const decide = async (verdict: 'approve' | 'request_changes') => {
    setBusy(true);
    setError(null);
    const res = await api.story.review({
      sessionId: story.sessionId,
      storyId: story.storyId,
      verdict,
      headSha,
      comments: [],
      ...(summary.trim() ? { summary: summary.trim() } : {}),
    });
    setBusy(false);
    if (!res.ok) {
      setError(describeError(verdict === 'approve' ? 'approve the merge' : 'request changes', res.error));
      return;
    }
    setDone(
      verdict === 'approve'
        ? `Approved merging ${headSha.slice(0, 12)}; the session resumes.`
        : `Sent back to gate-2 with ${queued} comment${queued === 1 ? '' : 's'}; the session resumes.`,
    );
    setSummary('');
    onDone();
  };
  return (
    <div className="review-verdict" data-testid="review-verdict">
      {live || !canSendBack ? (
        <p className="small muted">
          {live
            ? 'The story is running: your comments are queued for its next attempt.'
            : 'Comments are kept for the story’s next attempt.'}{' '}
          {queued} queued.
        </p>
      ) : (
        <>
          <textarea
            aria-label="Overall comment on the change"
            placeholder="Overall comment (optional)"
            value={summary}
            maxLength={MAX_REVIEW_COMMENT_CHARS}
            rows={1}
            onChange={(e) => setSummary(e.target.value)}
          />
          <button
            type="button"
            className="btn"
            disabled={busy || (queued === 0 && !summary.trim())}
            onClick={() => void decide('request_changes')}
            data-testid="request-changes"
            title={queued === 0 && !summary.trim() ? 'Comment on a line, a file or the whole change first' : undefined}
          >
            Request changes{queued ? ` (${queued})` : ''}
          </button>
          {story.awaitingMergeApproval ? (
            <button
              type="button"
              className="btn btn-primary"
              disabled={busy}
              onClick={() => void decide('approve')}
              data-testid="approve-merge"
            >
              Approve merge of <span className="mono">{headSha.slice(0, 12)}</span>
            </button>
          ) : null}
        </>
      )}
      {error ? (
        <span className="tone-bad small" data-testid="review-error">
          {error}
        </span>
      ) : null}
      {done ? (
        <span className="tone-ok small" data-testid="review-done">
          {done}
        </span>
      ) : null}
    </div>
  );
}
