import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { FleetStopReport } from '../../shared/ipc/fleet';
import { isActiveSession } from '../../shared/status';
import { api } from '../api/client';
import { describeError } from '../lib/errors';
import { plural, shortId } from '../lib/format';
import { useAppStore } from '../state/app-store';
import { ui, useUiStore } from '../state/ui-store';
import { Dialog } from './Dialog';

export const STOP_SHORTCUT = 'Ctrl+Shift+S';

interface StopOutcome {
  sessionId: string;
  stoppedAgents: number;
  aliveAfter: number;
  fleet?: FleetStopReport;
}

/** A fleet stop per host: "host 2 stopped, 0 alive", or that the host did not answer. */
function fleetLines(f: FleetStopReport): string[] {
  return f.hosts.map((h) =>
    h.answered
      ? `${h.host}: ${plural(h.stoppedAgents, 'agent')} stopped, ${h.aliveAfter} alive`
      : `${h.host}: no answer within ${Math.round(f.graceMs / 1000)} s`,
  );
}

/**
 * The emergency stop. Always visible in the header; asks once (Enter confirms, Escape
 * cancels, optional reason), then reports live progress until it can say "N agents
 * stopped, 0 alive". While nothing runs it stays visible and says why it is disabled.
 */
export function StopButton() {
  const session = useAppStore((s) => s.session);
  const progress = useAppStore((s) => s.stop);
  const dialogOpen = useUiStore((s) => s.stopDialogOpen);
  const [pending, setPending] = useState(false);
  const [outcome, setOutcome] = useState<StopOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Agents may be alive in every active status: STOP is never disabled in any of them.
  const stoppable = !!session && isActiveSession(session.status);

  const openDialog = useCallback(() => {
    if (!stoppable) return;
    setError(null);
    ui.setStopDialog(true);
  }, [stoppable]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey && e.shiftKey && !e.altKey && e.key.toLowerCase() === 's') {
        e.preventDefault();
        openDialog();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [openDialog]);

  const confirm = async (reason: string) => {
    if (!session) return;
    ui.setStopDialog(false);
    setPending(true);
    setOutcome(null);
    setError(null);
    const res = await api.session.stop({ sessionId: session.id, ...(reason.trim() ? { reason: reason.trim() } : {}) });
    setPending(false);
    if (res.ok) setOutcome(res.value);
    else setError(`${describeError(`stop session ${shortId(session.id)}`, res.error)} Press STOP again to retry.`);
  };

  // Old reports stay up until the session runs again (after a resume they would be stale).
  const runningAgain = !!session && (session.status === 'running' || session.status === 'created') && !pending;
  const live =
    progress && session && progress.sessionId === session.id && (progress.phase === 'stopping' || !runningAgain)
      ? progress
      : null;
  const done = outcome && session && outcome.sessionId === session.id && !runningAgain ? outcome : null;
  let status: string | null = null;
  let tone = 'muted';
  if (error) {
    status = error;
    tone = 'bad';
  } else if (done && (!live || live.phase !== 'stopping')) {
    const alive = live && live.phase !== 'stopping' ? live.alive : done.aliveAfter;
    const silent = done.fleet?.unansweredHosts.length ?? 0;
    status =
      alive === 0 && silent === 0
        ? `✓ ${plural(done.stoppedAgents, 'agent')} stopped, 0 alive — session ${shortId(done.sessionId)} is ${session?.status ?? 'stopped'}.`
        : alive === 0
          ? `✕ ${plural(silent, 'host')} did not answer (${done.fleet!.unansweredHosts.join(', ')}); ${plural(done.stoppedAgents, 'agent')} stopped elsewhere.`
          : `✕ ${alive} still alive after stopping ${plural(done.stoppedAgents, 'agent')}: ${live?.message ?? 'press STOP again, or end them from the OS.'}`;
    if (done.fleet) status += ` ${fleetLines(done.fleet).join('; ')}.`;
    tone = alive === 0 && silent === 0 ? 'ok' : 'bad';
  } else if (live) {
    if (live.phase === 'stopping')
      status = `stopping ${plural(live.total, 'agent')}… ${live.stopped} stopped, ${live.alive} alive`;
    else if (live.phase === 'stopped')
      status = `✓ ${plural(live.stopped, 'agent')} stopped, ${live.alive} alive${live.message ? ` — ${live.message}` : ''}`;
    else status = `✕ stop failed: ${live.message} (${live.alive} alive)`;
    tone = live.phase === 'failed' ? 'bad' : live.phase === 'stopped' ? 'ok' : 'warn';
  } else if (pending) {
    status = 'stopping… waiting for the first report';
    tone = 'warn';
  }

  let disabledReason: string | null = null;
  if (!stoppable) {
    disabledReason = !session
      ? 'Nothing is running: STOP becomes active as soon as a session starts.'
      : `Nothing is running: session ${shortId(session.id)} is ${session.status}${session.statusReason ? ` (${session.statusReason})` : ''}.`;
  }

  const statusText =
    status ?? disabledReason ?? `Stops every agent of session ${shortId(session!.id)} (${STOP_SHORTCUT}).`;
  return (
    <div className="stop-wrap">
      <button
        type="button"
        className="stop-button"
        disabled={!stoppable}
        aria-describedby="stop-reason"
        aria-keyshortcuts="Control+Shift+S"
        data-testid="stop-button"
        title={`Emergency stop (${STOP_SHORTCUT})`}
        onClick={openDialog}
      >
        ■ STOP
      </button>
      {/* A fixed width, clamped to 3 lines (the full text in its tooltip): a long reason never pushes STOP around. */}
      <span
        id="stop-reason"
        className={`stop-reason tone-${status ? tone : 'muted'}`}
        data-testid="stop-status"
        role="status"
        aria-live="polite"
        title={statusText}
      >
        {statusText}
      </span>
      {dialogOpen && session ? (
        <StopDialog
          sessionId={session.id}
          running={session.stories.filter((s) => s.status === 'running').length}
          onConfirm={confirm}
        />
      ) : null}
    </div>
  );
}

function StopDialog({
  sessionId,
  running,
  onConfirm,
}: {
  sessionId: string;
  running: number;
  onConfirm: (reason: string) => void;
}) {
  const [reason, setReason] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onConfirm(reason);
  };
  return (
    <Dialog
      title={`Stop session ${shortId(sessionId)}?`}
      onCancel={() => ui.setStopDialog(false)}
      testId="stop-dialog"
      describedBy="stop-dialog-text"
    >
      <form onSubmit={submit}>
        <p id="stop-dialog-text">
          Every agent of this session ({plural(running, 'running story', 'running stories')}) is stopped and WAVE
          verifies that none is alive. Work since each story&apos;s last checkpoint is lost; you can resume later from
          Recovery.
        </p>
        <label className="field">
          <span>Reason (optional, kept in the audit log)</span>
          <input
            data-autofocus
            value={reason}
            maxLength={500}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. agents are editing the wrong files"
            data-testid="stop-reason-input"
          />
        </label>
        <p className="muted small">Enter stops, Escape cancels.</p>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={() => ui.setStopDialog(false)}>
            Cancel (Esc)
          </button>
          <button type="submit" className="btn btn-danger" data-testid="stop-confirm">
            ■ Stop now (Enter)
          </button>
        </div>
      </form>
    </Dialog>
  );
}
