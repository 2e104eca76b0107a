import { useState, type FormEvent } from 'react';
import type { StoryRunView } from '../../../shared/ipc/views';
import { api } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { describeError } from '../../lib/errors';
import { useAppStore } from '../../state/app-store';

const MIN_REASON = 10;
/** While a process drives the session its stories cannot be changed under it. */
const ACTIVE = new Set(['created', 'running', 'stopping']);

/**
 * A story that failed its domain check: the paths outside its domain, and the lead's way to
 * allow exactly those (with a reason, kept in the audit log) and resume from gate-3. A story
 * that passed with an override says who allowed what, and why.
 */
export function DomainOverride({ story }: { story: StoryRunView }) {
  const sessionStatus = useAppStore((s) => (s.session?.id === story.sessionId ? s.session.status : null));
  const [open, setOpen] = useState(false);
  const gate3 = story.gates.filter((g) => g.gate === 'gate-3');
  const last = gate3.at(-1);
  const overridden = [...gate3].reverse().find((g) => g.override)?.override;
  if (overridden && story.status !== 'failed') {
    return (
      <p className="callout" data-testid="domain-overridden">
        <strong>{overridden.by}</strong> allowed changes outside domain {story.domain}: <span className="mono">{overridden.paths.join(', ')}</span>. Reason: {overridden.reason}
      </p>
    );
  }
  if (story.status !== 'failed' || !last || last.status !== 'failed' || !last.outside?.length) return null;
  const busy = sessionStatus !== null && ACTIVE.has(sessionStatus);
  return (
    <section className="callout callout-bad" data-testid="domain-violation" aria-label="Changes outside the story's domain">
      <p>
        Changed outside domain <strong>{story.domain}</strong>:
      </p>
      <ul className="mono small">
        {last.outside.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
      {busy ? (
        <p className="small">You can allow these once the session has ended or been stopped.</p>
      ) : (
        <button type="button" className="btn" onClick={() => setOpen(true)} data-testid="domain-override-open">
          Allow these paths…
        </button>
      )}
      {open ? <OverrideDialog story={story} paths={last.outside} onClose={() => setOpen(false)} /> : null}
    </section>
  );
}

function OverrideDialog({ story, paths, onClose }: { story: StoryRunView; paths: string[]; onClose: () => void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (reason.trim().length < MIN_REASON) return setError(`Say in at least ${MIN_REASON} characters why these changes are acceptable: the reason goes to the audit log.`);
    setBusy(true);
    const res = await api.story.overrideDomain({ sessionId: story.sessionId, storyId: story.storyId, reason: reason.trim() });
    setBusy(false);
    if (res.ok) onClose();
    else setError(describeError(`override the domain check of ${story.storyId}`, res.error));
  };
  return (
    <Dialog title={`Allow ${story.storyId} to change paths outside domain ${story.domain}`} onCancel={onClose} testId="domain-override-dialog" describedBy="domain-override-what">
      <form onSubmit={(e) => void submit(e)}>
        <p id="domain-override-what" className="small">
          Exactly these paths are allowed, for this story only; the session then resumes with the story from gate-3. Your user name, the reason and the paths go to the audit log. A
          path the story adds later needs a decision of its own.
        </p>
        <ul className="mono small">
          {paths.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
        <label className="field">
          <span>Reason (required)</span>
          <textarea
            className="input"
            value={reason}
            onChange={(e) => {
              setReason(e.target.value);
              setError(null);
            }}
            maxLength={2000}
            rows={3}
            data-autofocus
            data-testid="domain-override-reason"
          />
        </label>
        {error ? (
          <p className="callout callout-bad" role="alert" data-testid="domain-override-error">
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="domain-override-submit">
            Allow and resume
          </button>
        </div>
      </form>
    </Dialog>
  );
}
