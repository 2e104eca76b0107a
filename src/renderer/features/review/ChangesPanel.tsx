import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  Diff,
  getChangeKey,
  Hunk,
  parseDiff,
  tokenize,
  type ChangeData,
  type GutterOptions,
  type HunkData,
  type ViewType,
} from 'react-diff-view';
import 'react-diff-view/style/index.css';
import type { DiffAgainst, DiffFile, ReviewComment, ReviewSide, StoryDiff } from '../../../shared/ipc/review';
import { COLLAPSE_FILE_LINES, DIFF_STATUS_LETTER, diffFileName } from '../../../shared/ipc/review';
import type { StoryRunView } from '../../../shared/ipc/views';
import { inertText } from '../../../shared/text/inert';
import { api } from '../../api/client';
import { CheckboxField } from '../../components/CheckboxField';
import { describeError } from '../../lib/errors';
import { highlighter, languageOf } from './highlight';
import { CommentForm, CommentView, queueComment, ReviewHistory, useReviewThread, VerdictBar } from './ReviewComments';

type Load = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; diff: StoryDiff };

/**
 * A story's changes, as a lead reviews them: the files with +/- counts on the left, the
 * chosen file's diff (unified or split, highlighted) on the right; against where the branch
 * left the target or against the target's tip. Diff text is untrusted: it is parsed as a
 * diff and rendered as React text (control characters shown as \u001b…), never as HTML.
 * It reloads when the story moves on (a pushed story.changed), not on a timer.
 */
export function ChangesPanel({ story, onClose }: { story: StoryRunView; onClose: () => void }) {
  const [against, setAgainst] = useState<DiffAgainst>('base');
  const [ignoreWhitespace, setIgnoreWhitespace] = useState(false);
  const [viewType, setViewType] = useState<ViewType>('unified');
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [selected, setSelected] = useState<string | null>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const review = useReviewThread(story);
  const [changeComment, setChangeComment] = useState(false);
  // What makes the branch change: a gate ending, a new attempt, a merge.
  const moved = `${story.status}|${story.currentGate ?? ''}|${story.attempts}|${story.mergeSha ?? ''}`;

  useEffect(() => {
    closeRef.current?.focus();
    // Escape closes this panel first (capture phase, before the story detail's own handler).
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      e.preventDefault();
      onClose();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose]);

  useEffect(() => {
    let current = true;
    void api.story
      .diff({ sessionId: story.sessionId, storyId: story.storyId, against, ignoreWhitespace })
      .then((res) => {
        if (!current) return;
        if (res.ok) setLoad({ state: 'ready', diff: res.value });
        else setLoad({ state: 'error', message: describeError(`read the changes of ${story.storyId}`, res.error) });
      });
    return () => {
      current = false;
    };
  }, [story.sessionId, story.storyId, against, ignoreWhitespace, moved]);

  const diff = load.state === 'ready' ? load.diff : null;
  const file = diff ? (diff.files.find((f) => f.path === selected) ?? diff.files[0] ?? null) : null;
  const totals = diff
    ? diff.files.reduce((t, f) => ({ add: t.add + (f.additions ?? 0), del: t.del + (f.deletions ?? 0) }), {
        add: 0,
        del: 0,
      })
    : null;

  return (
    <div
      className="changes-overlay"
      role="dialog"
      aria-modal="true"
      aria-label={`Changes of story ${story.storyId}`}
      data-testid="changes-panel"
    >
      <div className="changes-head">
        <h2>
          Changes of <span className="mono">{story.storyId}</span>
          {diff ? (
            <span className="muted small">
              {' '}
              {diff.branch ?? 'merged'} at <span className="mono">{diff.headSha.slice(0, 12)}</span> against{' '}
              {diff.against === 'target' ? `the tip of ${diff.targetBranch}` : `where it left ${diff.targetBranch}`} (
              <span className="mono">{diff.baseSha.slice(0, 12)}</span>)
              {totals
                ? ` · ${diff.files.length} file${diff.files.length === 1 ? '' : 's'} · +${totals.add} −${totals.del}`
                : ''}
            </span>
          ) : null}
        </h2>
        <div className="changes-controls">
          <label>
            Against{' '}
            <select
              value={against}
              onChange={(e) => setAgainst(e.target.value as DiffAgainst)}
              data-testid="changes-against"
            >
              <option value="base">its base</option>
              <option value="target">target tip</option>
            </select>
          </label>
          <div className="segmented" role="group" aria-label="Diff layout">
            <button
              type="button"
              className="btn btn-small"
              aria-pressed={viewType === 'unified'}
              onClick={() => setViewType('unified')}
            >
              Unified
            </button>
            <button
              type="button"
              className="btn btn-small"
              aria-pressed={viewType === 'split'}
              onClick={() => setViewType('split')}
              data-testid="changes-split"
            >
              Split
            </button>
          </div>
          <CheckboxField
            label="Ignore whitespace"
            checked={ignoreWhitespace}
            onChange={setIgnoreWhitespace}
            testId="changes-whitespace"
          />
          <button
            ref={closeRef}
            type="button"
            className="btn btn-small"
            onClick={onClose}
            aria-label="Close changes (Escape)"
          >
            ✕ Close
          </button>
        </div>
      </div>
      {diff?.live ? (
        <p className="callout small">
          The story is still running: this is what its agent has committed so far, read-only.
        </p>
      ) : null}
      {diff?.note ? <p className="callout small">{diff.note}</p> : null}
      {load.state === 'loading' ? <p className="muted">Reading the story branch…</p> : null}
      {load.state === 'error' ? (
        <p className="callout callout-bad" data-testid="changes-error">
          {load.message}
        </p>
      ) : null}
      {diff ? (
        <div className="review-bar">
          <VerdictBar
            story={story}
            headSha={diff.headSha}
            live={diff.live}
            queued={review.thread?.queued.length ?? 0}
            onDone={review.reload}
          />
          {diff.against === 'base' && !changeComment ? (
            <button
              type="button"
              className="btn btn-small"
              onClick={() => setChangeComment(true)}
              data-testid="comment-change"
            >
              Comment on the whole change…
            </button>
          ) : null}
        </div>
      ) : null}
      {diff && changeComment ? (
        <CommentForm
          target="the whole change"
          onCancel={() => setChangeComment(false)}
          onSubmit={async (text) => {
            const err = await queueComment(story, diff.headSha, { path: null, line: null, text });
            if (!err) {
              setChangeComment(false);
              review.reload();
            }
            return err;
          }}
        />
      ) : null}
      {review.thread ? (
        <div className="review-history-box">
          <ReviewHistory thread={review.thread} />
        </div>
      ) : null}
      {diff && diff.files.length === 0 ? (
        <p className="muted">No changes{diff.ignoreWhitespace ? ' other than whitespace' : ''}.</p>
      ) : null}
      {diff && diff.files.length > 0 ? (
        <div className="changes-body">
          <FileTree files={diff.files} selected={file?.path ?? null} onSelect={setSelected} />
          <div className="changes-file" data-testid="changes-file">
            {file ? (
              <FileDiff
                key={`${file.path}|${diff.headSha}|${diff.baseSha}|${diff.ignoreWhitespace}`}
                file={file}
                viewType={viewType}
                diff={diff}
                comments={(review.thread?.queued ?? []).filter(
                  (c) => c.path === file.path && c.headSha === diff.headSha,
                )}
                onComment={
                  diff.against === 'base'
                    ? (c) =>
                        queueComment(story, diff.headSha, { ...c, path: file.path }).then((err) =>
                          err ? err : (review.reload(), null),
                        )
                    : null
                }
              />
            ) : null}
          </div>
        </div>
      ) : null}
    </div>
  );
}

function FileTree({
  files,
  selected,
  onSelect,
}: {
  files: DiffFile[];
  selected: string | null;
  onSelect: (path: string) => void;
}) {
  return (
    <nav className="changes-tree" aria-label="Changed files">
      <ul>
        {files.map((f) => (
          <li key={f.path}>
            <button
              type="button"
              className={`changes-tree-item${f.path === selected ? ' selected' : ''}`}
              aria-current={f.path === selected ? 'true' : undefined}
              onClick={() => onSelect(f.path)}
              title={diffFileName(f)}
            >
              <span className={`change-status change-${f.status}`} aria-label={f.status}>
                {DIFF_STATUS_LETTER[f.status]}
              </span>
              <span className="mono changes-path">{inertText(f.path)}</span>
              <span className="changes-counts">
                {f.binary ? (
                  'binary'
                ) : (
                  <>
                    <span className="tone-ok">+{f.additions}</span> <span className="tone-bad">−{f.deletions}</span>
                  </>
                )}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function lineCount(hunks: HunkData[]): number {
  return hunks.reduce((n, h) => n + h.changes.length, 0);
}

/** Where a comment on a change points: a line of the branch, or a removed line. */
function targetOf(change: ChangeData): { side: ReviewSide; line: number } {
  if (change.type === 'insert') return { side: 'new', line: change.lineNumber };
  if (change.type === 'delete') return { side: 'old', line: change.lineNumber };
  return { side: 'new', line: change.newLineNumber };
}

type CommentOn = (c: { line: number | null; side?: ReviewSide; text: string }) => Promise<string | null>;

/**
 * One file's diff. With `onComment` (the diff against its base), a line number is a button
 * that opens a comment under that line; comments queued on this commit show under their lines.
 */
function FileDiff({
  file,
  viewType,
  diff,
  comments,
  onComment,
}: {
  file: DiffFile;
  viewType: ViewType;
  diff: StoryDiff;
  comments: ReviewComment[];
  onComment: CommentOn | null;
}) {
  const [expanded, setExpanded] = useState(false);
  const [composing, setComposing] = useState<string | null>(null);
  const [fileComment, setFileComment] = useState(false);
  const parsed = useMemo(() => (file.patch ? (parseDiff(inertText(file.patch))[0] ?? null) : null), [file.patch]);
  const hunks = useMemo(() => parsed?.hunks ?? [], [parsed]);
  const lines = lineCount(hunks);
  const collapsed = lines > COLLAPSE_FILE_LINES && !expanded;
  const language = languageOf(file.path);
  const tokens = useMemo(() => {
    if (collapsed || !language || hunks.length === 0) return undefined;
    try {
      return tokenize(hunks, { highlight: true, refractor: highlighter, language });
    } catch {
      return undefined; // Unhighlighted is still correct.
    }
  }, [hunks, language, collapsed]);

  const changes = useMemo(() => hunks.flatMap((h) => h.changes), [hunks]);
  const widgets = useMemo(() => {
    const out: Record<string, ReactNode> = {};
    if (!onComment) return out;
    for (const change of changes) {
      const key = getChangeKey(change);
      const t = targetOf(change);
      const here = comments.filter((c) => c.line === t.line && c.side === t.side);
      if (here.length === 0 && composing !== key) continue;
      out[key] = (
        <div className="review-widget" data-testid="line-comments">
          {here.map((c) => (
            <CommentView key={c.id} c={c} showWhere={false} />
          ))}
          {composing === key ? (
            <CommentForm
              target={`${file.path} line ${t.line}`}
              onCancel={() => setComposing(null)}
              onSubmit={async (text) => {
                const err = await onComment({ line: t.line, side: t.side, text });
                if (!err) setComposing(null);
                return err;
              }}
            />
          ) : null}
        </div>
      );
    }
    return out;
  }, [changes, comments, composing, onComment, file.path]);
  const renderGutter = useMemo(
    () =>
      onComment
        ? ({ change, side, renderDefault }: GutterOptions) => {
            const t = targetOf(change);
            if (side !== t.side) return renderDefault();
            const key = getChangeKey(change);
            return (
              <button
                type="button"
                className="gutter-comment"
                aria-label={`Comment on ${file.path} line ${t.line}${t.side === 'old' ? ' (removed)' : ''}`}
                onClick={() => setComposing(key)}
              >
                {renderDefault()}
              </button>
            );
          }
        : undefined,
    [onComment, file.path],
  );

  const fileComments = comments.filter((c) => c.line === null);
  const title = (
    <>
      <h3 className="mono changes-file-title">
        {file.oldPath ? `${inertText(file.oldPath)} → ` : ''}
        {inertText(file.path)} <span className="muted small">({file.status})</span>{' '}
        {onComment && !fileComment ? (
          <button
            type="button"
            className="btn btn-small"
            onClick={() => setFileComment(true)}
            data-testid="comment-file"
          >
            Comment on file…
          </button>
        ) : null}
      </h3>
      {fileComments.map((c) => (
        <CommentView key={c.id} c={c} showWhere={false} />
      ))}
      {onComment && fileComment ? (
        <CommentForm
          target={file.path}
          onCancel={() => setFileComment(false)}
          onSubmit={async (text) => {
            const err = await onComment({ line: null, text });
            if (!err) setFileComment(false);
            return err;
          }}
        />
      ) : null}
    </>
  );
  if (file.binary)
    return (
      <>
        {title}
        <p className="muted">Binary file: its contents are not shown.</p>
      </>
    );
  if (file.truncated) {
    return (
      <>
        {title}
        <p className="callout">
          This file's diff is {Math.round(file.patchChars / 1024)} KB, too large for the window. Read it with:{' '}
          <span className="mono">
            wave diff {diff.sessionId} {diff.storyId}
            {diff.against === 'target' ? ' --against target' : ''}
          </span>
        </p>
      </>
    );
  }
  if (hunks.length === 0)
    return (
      <>
        {title}
        <p className="muted">No line changes{file.status === 'renamed' ? ': renamed only' : ''}.</p>
      </>
    );
  return (
    <>
      {title}
      {collapsed ? (
        <p className="callout" data-testid="changes-collapsed">
          A large diff ({lines} lines) is collapsed.{' '}
          <button type="button" className="btn btn-small" onClick={() => setExpanded(true)}>
            Expand
          </button>
        </p>
      ) : (
        <Diff
          viewType={viewType}
          diffType={parsed?.type ?? 'modify'}
          hunks={hunks}
          tokens={tokens}
          className="changes-diff"
          widgets={widgets}
          {...(renderGutter ? { renderGutter } : {})}
        >
          {(hs) => hs.map((h) => <Hunk key={h.content} hunk={h} />)}
        </Diff>
      )}
    </>
  );
}
