import { useEffect, useState, type FormEvent } from 'react';
import type { BackupSnapshotView, BackupsView } from '../../../shared/ipc/contract';
import type { GateId, StoryRunView } from '../../../shared/ipc/views';
import { api } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { describeError } from '../../lib/errors';
import { gateLabel } from '../../lib/gates';

const OPERATION_LABEL: Record<string, string> = {
  reset: 'before a resume reset the worktree',
  restart: 'before a restart from gate-0',
  skip: 'before a skip',
  'remove-worktree': 'before the worktree was removed',
  'delete-branch': 'before the branch was deleted',
  'qa-retry': 'before a QA fix attempt',
  reconcile: 'before a clean-up after a crash',
};

/** Date and time of a snapshot (they can be days old). */
function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/**
 * "Earlier work…": the snapshots WAVE took of this story before destroying anything
 * (refs/wave/backup/<story>/<time>), with the way back: a restore onto a new branch.
 * Reloaded when the story changes (a pushed story.changed), never polled.
 */
export function EarlierWork({ story }: { story: StoryRunView }) {
  const [open, setOpen] = useState(false);
  const [view, setView] = useState<BackupsView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [restoring, setRestoring] = useState<BackupSnapshotView | null>(null);
  const [restored, setRestored] = useState<string | null>(null);
  const changeKey = `${story.status}:${story.attempts}:${story.currentGate ?? ''}`;

  useEffect(() => {
    if (!open) return;
    let cancelled = false;
    void api.backups.list({ sessionId: story.sessionId, storyId: story.storyId }).then((res) => {
      if (cancelled) return;
      if (res.ok) {
        setView(res.value);
        setError(null);
      } else setError(describeError(`list the earlier work of ${story.storyId}`, res.error));
    });
    return () => {
      cancelled = true;
    };
  }, [open, story.sessionId, story.storyId, changeKey]);

  return (
    <details
      className="earlier-work"
      data-testid="earlier-work"
      onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}
    >
      <summary>Earlier work…</summary>
      {error ? (
        <p className="callout callout-bad" role="alert">
          {error}
        </p>
      ) : null}
      {open && !view && !error ? <p className="muted small">Loading snapshots…</p> : null}
      {restored ? (
        <p className="callout" role="status" data-testid="earlier-work-restored">
          {restored}
        </p>
      ) : null}
      {view && view.snapshots.length === 0 ? (
        <p className="muted small" data-testid="earlier-work-empty">
          No snapshots of {story.storyId}: WAVE takes one before any reset, clean-up, restart or skip that would lose
          work, and nothing was at risk so far.
        </p>
      ) : null}
      {view && view.snapshots.length > 0 ? (
        <table className="table small" data-testid="earlier-work-table">
          <caption className="muted">
            Snapshots kept in <span className="mono">refs/wave/backup/{story.storyId}/</span> ({view.retention.keepDays}{' '}
            days, {view.retention.keepPerStory} per story)
          </caption>
          <thead>
            <tr>
              <th>when</th>
              <th>why</th>
              <th title="Files that differ between the snapshot and the target branch as it is now">files ≠ target</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {view.snapshots.map((s) => (
              <tr key={s.id} data-testid="earlier-work-row">
                <td title={s.at}>{when(s.at)}</td>
                <td>
                  {OPERATION_LABEL[s.operation] ?? s.operation}
                  {s.gate ? ` (${gateLabel(s.gate as GateId)})` : ''} · {s.actor}
                  <div className="muted">{s.reason}</div>
                </td>
                <td className="num">{s.filesChanged ?? '?'}</td>
                <td>
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => setRestoring(s)}
                    data-testid="earlier-work-restore"
                  >
                    Restore…
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {restoring ? (
        <RestoreDialog
          snapshot={restoring}
          sessionId={story.sessionId}
          onClose={(message) => {
            setRestoring(null);
            if (message) setRestored(message);
          }}
        />
      ) : null}
    </details>
  );
}

/** Restores one snapshot onto a new branch; the core refuses an existing branch name and says so. */
function RestoreDialog({
  snapshot,
  sessionId,
  onClose,
}: {
  snapshot: BackupSnapshotView;
  sessionId: string;
  onClose(message?: string): void;
}) {
  const [branch, setBranch] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const res = await api.backups.restore({
      sessionId,
      snapshotId: snapshot.id,
      ...(branch.trim() ? { branch: branch.trim() } : {}),
    });
    setBusy(false);
    if (res.ok)
      onClose(
        `Restored onto the new branch ${res.value.branch} (${res.value.sha.slice(0, 12)}). Check it out with: git switch ${res.value.branch}`,
      );
    else setError(describeError(`restore ${snapshot.id}`, res.error));
  };
  return (
    <Dialog
      title={`Restore earlier work of ${snapshot.storyId}`}
      onCancel={() => onClose()}
      testId="restore-dialog"
      describedBy="restore-what"
    >
      <form onSubmit={(e) => void submit(e)}>
        <p id="restore-what" className="small">
          The snapshot of {when(snapshot.at)} ({snapshot.reason}) goes onto a new branch: exactly the files the worktree
          had then, on top of the branch tip of the time. No existing branch is moved and nothing is checked out. Your
          user name goes to the audit log.
        </p>
        <label className="field">
          <span>New branch name (optional)</span>
          <input
            className="input mono"
            value={branch}
            placeholder={`restore/${snapshot.id.replace(/\.(\d{3})Z/, '$1Z')}`}
            onChange={(e) => {
              setBranch(e.target.value);
              setError(null);
            }}
            maxLength={200}
            data-autofocus
            data-testid="restore-branch"
          />
        </label>
        {error ? (
          <p className="callout callout-bad" role="alert" data-testid="restore-error">
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={() => onClose()} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="restore-submit">
            Restore onto a new branch
          </button>
        </div>
      </form>
    </Dialog>
  );
}
