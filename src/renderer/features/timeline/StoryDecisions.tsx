import { useState, type FormEvent } from 'react';
import type { Result } from '../../../shared/ipc/result';
import type { StoryRunView } from '../../../shared/ipc/views';
import { api } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { describeError } from '../../lib/errors';
import { useAppStore } from '../../state/app-store';
import {
  DRIVEN_SESSION_STATUSES,
  MAX_DECISION_TEXT_CHARS,
  MIN_OVERRIDE_REASON_CHARS,
} from '../../../shared/ipc/decision-rules';

/** The decisions a lead can take about a story (both resume the session): a domain override and a merge approval. */
export function StoryDecisions({ story }: { story: StoryRunView }) {
  const sessionStatus = useAppStore((s) => (s.session?.id === story.sessionId ? s.session.status : null));
  const busy = sessionStatus !== null && DRIVEN_SESSION_STATUSES.has(sessionStatus);
  return (
    <>
      <DomainOverride story={story} busy={busy} />
      <MergeApproval story={story} busy={busy} />
    </>
  );
}

/**
 * A story that failed its domain check: the paths outside its domain, and the way to allow
 * exactly those (with a reason, kept in the audit log) and resume from gate-3. A story that
 * passed with an override says who allowed what, and why.
 */
function DomainOverride({ story, busy }: { story: StoryRunView; busy: boolean }) {
  const [open, setOpen] = useState(false);
  const gate3 = story.gates.filter((g) => g.gate === 'gate-3');
  const last = gate3.at(-1);
  const overridden = [...gate3].reverse().find((g) => g.override)?.override;
  if (overridden && story.status !== 'failed') {
    return (
      <p className="callout" data-testid="domain-overridden">
        <strong>{overridden.by}</strong> allowed changes outside domain {story.domain}:{' '}
        <span className="mono">{overridden.paths.join(', ')}</span>. Reason: {overridden.reason}
      </p>
    );
  }
  if (story.status !== 'failed' || !last || last.status !== 'failed' || !last.outside?.length) return null;
  return (
    <section
      className="callout callout-bad"
      data-testid="domain-violation"
      aria-label="Changes outside the story's domain"
    >
      <p>
        Changed outside domain <strong>{story.domain}</strong>:
      </p>
      <PathList paths={last.outside} />
      {busy ? (
        <p className="small">You can allow these once the session has ended or been stopped.</p>
      ) : (
        <button type="button" className="btn" onClick={() => setOpen(true)} data-testid="domain-override-open">
          Allow these paths…
        </button>
      )}
      {open ? (
        <DecisionDialog
          testId="domain-override"
          title={`Allow ${story.storyId} to change paths outside domain ${story.domain}`}
          what="Exactly these paths are allowed, for this story only; the session then resumes with the story from gate-3. Your user name, the reason and the paths go to the audit log. A path the story adds later needs a decision of its own."
          paths={last.outside}
          label="Reason (required)"
          minLength={MIN_OVERRIDE_REASON_CHARS}
          submitLabel="Allow and resume"
          send={(text) =>
            api.story.overrideDomain({ sessionId: story.sessionId, storyId: story.storyId, reason: text })
          }
          failed={`override the domain check of ${story.storyId}`}
          onClose={() => setOpen(false)}
        />
      ) : null}
    </section>
  );
}

/** A story parked before gate-7 (merge.requireApproval): what would merge, and the approval that lets it. */
function MergeApproval({ story, busy }: { story: StoryRunView; busy: boolean }) {
  const [open, setOpen] = useState(false);
  if (!story.awaitingMergeApproval) return null;
  const sha = story.mergeApprovalSha ?? null;
  return (
    <section className="callout" data-testid="merge-approval" aria-label="Merge approval">
      <p>
        <strong>Waiting for your merge approval</strong> of{' '}
        <span className="mono">{story.branch ?? '(unknown branch)'}</span> at{' '}
        <span className="mono" data-testid="merge-approval-sha">
          {sha ? sha.slice(0, 12) : '(unknown commit)'}
        </span>
        . Review its changes first with <strong>Changes…</strong> below (or{' '}
        <span className="mono">
          wave diff {story.sessionId} {story.storyId}
        </span>
        ).
      </p>
      {busy || !sha ? (
        <p className="small">
          {busy
            ? 'You can approve once the session has paused for it.'
            : 'The commit to approve is not known yet; reload.'}
        </p>
      ) : (
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => setOpen(true)}
          data-testid="merge-approval-open"
        >
          Approve merge…
        </button>
      )}
      {open ? (
        <DecisionDialog
          testId="merge-approval"
          title={`Approve merging ${story.storyId}`}
          what="You approve exactly this commit: if the branch has moved on since, the approval is refused, and if it changes before gate-7 runs, gate-7 asks again. Your user name, the commit and the comment go to the audit log; the session then resumes and merges the story."
          paths={[`${story.branch ?? 'the story branch'} at ${sha ?? ''}`]}
          label="Comment (optional)"
          minLength={0}
          submitLabel="Approve and resume"
          send={(text) =>
            api.story.approveMerge({
              sessionId: story.sessionId,
              storyId: story.storyId,
              headSha: sha ?? '',
              ...(text ? { comment: text } : {}),
            })
          }
          failed={`approve the merge of ${story.storyId}`}
          onClose={() => setOpen(false)}
        />
      ) : null}
    </section>
  );
}

function PathList({ paths }: { paths: string[] }) {
  return (
    <ul className="mono small">
      {paths.map((p) => (
        <li key={p}>{p}</li>
      ))}
    </ul>
  );
}

/** A decision with one text field, sent once; the dialog closes when the core accepts it and says why when not. */
function DecisionDialog(props: {
  testId: string;
  title: string;
  what: string;
  paths: string[];
  label: string;
  minLength: number;
  submitLabel: string;
  send(text: string): Promise<Result<unknown>>;
  failed: string;
  onClose(): void;
}) {
  const { testId, minLength, onClose } = props;
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (text.trim().length < minLength)
      return setError(`Say in at least ${minLength} characters why: it goes to the audit log with your name.`);
    setBusy(true);
    const res = await props.send(text.trim());
    setBusy(false);
    if (res.ok) onClose();
    else setError(describeError(props.failed, res.error));
  };
  return (
    <Dialog title={props.title} onCancel={onClose} testId={`${testId}-dialog`} describedBy={`${testId}-what`}>
      <form onSubmit={(e) => void submit(e)}>
        <p id={`${testId}-what`} className="small">
          {props.what}
        </p>
        <PathList paths={props.paths} />
        <label className="field">
          <span>{props.label}</span>
          <textarea
            className="input"
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setError(null);
            }}
            maxLength={MAX_DECISION_TEXT_CHARS}
            rows={3}
            data-autofocus
            data-testid={`${testId}-reason`}
          />
        </label>
        {error ? (
          <p className="callout callout-bad" role="alert" data-testid={`${testId}-error`}>
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid={`${testId}-submit`}>
            {props.submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
