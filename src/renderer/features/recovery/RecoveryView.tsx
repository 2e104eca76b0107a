import { useCallback, useState } from 'react';
import type { DeadLetterView, GateId, InterruptedSession, RecoveryStrategy } from '../../../shared/ipc/views';
import { GATE_IDS } from '../../lib/contract-constants';
import { api } from '../../api/client';
import { describeError } from '../../lib/errors';
import { useRequest } from '../../lib/use-request';
import { dateTime, plural, shortId } from '../../lib/format';
import { gateLabel } from '../../lib/gates';
import { useAppStore } from '../../state/app-store';
import { ui, useUiStore } from '../../state/ui-store';

export const STRATEGIES: Array<{ id: RecoveryStrategy; label: string; help: string }> = [
  {
    id: 'resume_from_last',
    label: 'Resume from the last checkpoint',
    help: 'Each story continues after the last gate it passed.',
  },
  {
    id: 'resume_from_gate',
    label: 'Resume from a gate',
    help: 'Every unfinished story goes back to the gate you choose.',
  },
  {
    id: 'restart',
    label: 'Restart the unfinished stories',
    help: 'Unfinished stories start again at gate-0 (merged ones stay merged).',
  },
  {
    id: 'skip',
    label: 'Skip the unfinished stories',
    help: 'Marks them skipped and closes the session; nothing runs.',
  },
];

/** Resumes one session; shared by the start-up banner and the Recovery view. */
export function useResume(sessionId: string) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const resume = useCallback(
    async (strategy: RecoveryStrategy, gate?: GateId) => {
      setBusy(true);
      setError(null);
      const res = await api.session.resume({
        sessionId,
        strategy,
        ...(strategy === 'resume_from_gate' && gate ? { gate } : {}),
      });
      setBusy(false);
      if (res.ok) ui.go('waves');
      else setError(describeError(`resume session ${shortId(sessionId)}`, res.error));
      return res.ok;
    },
    [sessionId],
  );
  return { busy, error, resume };
}

export function StrategyPicker({
  strategy,
  gate,
  onStrategy,
  onGate,
  name,
}: {
  strategy: RecoveryStrategy;
  gate: GateId;
  onStrategy: (s: RecoveryStrategy) => void;
  onGate: (g: GateId) => void;
  name: string;
}) {
  return (
    <fieldset className="strategy" data-testid="strategy-picker">
      <legend className="small muted">Recovery strategy</legend>
      {STRATEGIES.map((s) => (
        <label key={s.id} className="radio">
          <input type="radio" name={name} value={s.id} checked={strategy === s.id} onChange={() => onStrategy(s.id)} />
          <span>
            {s.label} <span className="muted small">— {s.help}</span>
          </span>
          {s.id === 'resume_from_gate' && strategy === 'resume_from_gate' ? (
            <GateSelect gate={gate} onGate={onGate} testId="strategy-gate" />
          ) : null}
        </label>
      ))}
    </fieldset>
  );
}

function InterruptedCard({ s }: { s: InterruptedSession }) {
  const [strategy, setStrategy] = useState<RecoveryStrategy>('resume_from_last');
  const [gate, setGate] = useState<GateId>('gate-2');
  const { busy, error, resume } = useResume(s.session);
  return (
    <article className="card" data-testid="interrupted-session" aria-label={`Interrupted session ${s.session}`}>
      <h3>
        Session <span className="mono">{shortId(s.session)}</span> · {s.project} · {s.status}
      </h3>
      <p>
        {s.why}{' '}
        <span className="muted small">
          Last checkpoint: {s.lastCheckpointAt ? dateTime(s.lastCheckpointAt) : 'none'}.
        </span>
      </p>
      <table className="table small">
        <thead>
          <tr>
            <th>story</th>
            <th>was doing</th>
            <th>status</th>
          </tr>
        </thead>
        <tbody>
          {s.stories.map((st) => (
            <tr key={st.id}>
              <td className="mono">{st.id}</td>
              <td>{st.gate ? gateLabel(st.gate) : 'not started'}</td>
              <td>{st.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <StrategyPicker
        name={`strategy-${s.session}`}
        strategy={strategy}
        gate={gate}
        onStrategy={setStrategy}
        onGate={setGate}
      />
      {error ? (
        <p className="callout callout-bad" role="alert">
          {error}
        </p>
      ) : null}
      <ResumeButton busy={busy} onResume={() => void resume(strategy, gate)} testId="resume-button" />
    </article>
  );
}

export function RecoveryView() {
  const interrupted = useAppStore((s) => s.interrupted);
  const connection = useAppStore((s) => s.connection);
  const dead = useRequest(() => api.events.deadLetters({ limit: 200 }), [connection], connection === 'open');
  const letters: DeadLetterView[] | null = dead.value;
  const lettersError = dead.error ? describeError('load the dead-lettered events', dead.error) : null;

  return (
    <section className="recovery" aria-label="Recovery">
      <h2>Recovery</h2>
      {interrupted.length === 0 ? (
        <p className="muted" data-testid="nothing-to-recover">
          Nothing to recover: no session was left unfinished by a crash or a stop.
        </p>
      ) : (
        interrupted.map((s) => <InterruptedCard key={s.session} s={s} />)
      )}
      <section className="card" aria-label="Dead letters" data-testid="dead-letters">
        <div className="card-head">
          <h3>Dead-lettered events</h3>
          <button type="button" className="btn btn-small" onClick={dead.reload}>
            Refresh
          </button>
        </div>
        <p className="small muted">
          Events that could not be handled after repeated deliveries; they are kept here with the reason instead of
          being lost.
        </p>
        {lettersError ? <p className="callout callout-bad">{lettersError}</p> : null}
        {letters === null && !lettersError ? <p className="muted">Loading…</p> : null}
        {letters && letters.length === 0 ? <p className="muted">None: every event was handled.</p> : null}
        {letters && letters.length > 0 ? (
          <table className="table small">
            <thead>
              <tr>
                <th>when</th>
                <th>type</th>
                <th>session</th>
                <th>deliveries</th>
                <th>reason</th>
              </tr>
            </thead>
            <tbody>
              {letters.map((l) => (
                <tr key={l.id}>
                  <td>{dateTime(l.at)}</td>
                  <td className="mono">{l.type ?? '—'}</td>
                  <td className="mono">{l.sessionId ? shortId(l.sessionId) : '—'}</td>
                  <td className="num">{l.deliveries}</td>
                  <td>{l.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </section>
  );
}

/** Shown on every view while a session is interrupted: one click resumes it. */
export function RecoveryBanner() {
  const interrupted = useAppStore((s) => s.interrupted);
  const hidden = useUiStore((s) => s.bannerHidden);
  const visible = interrupted.filter((s) => !hidden.has(s.session));
  if (visible.length === 0) return null;
  return (
    <div className="banners" role="region" aria-label="Interrupted sessions">
      {visible.map((s) => (
        <BannerRow key={s.session} s={s} />
      ))}
    </div>
  );
}

function BannerRow({ s }: { s: InterruptedSession }) {
  const [strategy, setStrategy] = useState<RecoveryStrategy>('resume_from_last');
  const [gate, setGate] = useState<GateId>('gate-2');
  const { busy, error, resume } = useResume(s.session);
  const doing = s.stories
    .filter((st) => st.gate)
    .slice(0, 4)
    .map((st) => `${st.id} at ${st.gate}`)
    .join(', ');
  return (
    <div className="banner" data-testid="recovery-banner">
      <span>
        ⚠ Session <span className="mono">{shortId(s.session)}</span> ({s.project}){' '}
        {s.status === 'stopped' ? 'was stopped' : s.status === 'paused' ? 'is paused' : 'was interrupted'}
        {s.lastCheckpointAt ? `; last checkpoint ${dateTime(s.lastCheckpointAt)}` : ''} — {s.why}
        {doing
          ? ` · ${s.status === 'paused' ? 'waiting' : 'was running'} ${doing}${s.stories.length > 4 ? ` and ${plural(s.stories.length - 4, 'more story', 'more stories')}` : ''}`
          : ''}
      </span>
      <select
        className="input"
        value={strategy}
        onChange={(e) => setStrategy(e.target.value as RecoveryStrategy)}
        aria-label="Recovery strategy"
        data-testid="banner-strategy"
      >
        {STRATEGIES.map((st) => (
          <option key={st.id} value={st.id}>
            {st.label}
          </option>
        ))}
      </select>
      {strategy === 'resume_from_gate' ? <GateSelect gate={gate} onGate={setGate} /> : null}
      <ResumeButton busy={busy} onResume={() => void resume(strategy, gate)} testId="banner-resume" />
      <button type="button" className="btn btn-small" onClick={() => ui.go('recovery')}>
        Details
      </button>
      <button
        type="button"
        className="btn btn-small"
        onClick={() => ui.hideBanner(s.session)}
        aria-label="Hide this banner"
      >
        ✕
      </button>
      {error ? (
        <p className="tone-bad small banner-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The gate a resume_from_gate recovery runs again first. */
function GateSelect({ gate, onGate, testId }: { gate: GateId; onGate: (g: GateId) => void; testId?: string }) {
  return (
    <select
      className="input"
      value={gate}
      onChange={(e) => onGate(e.target.value as GateId)}
      aria-label="Gate to resume from"
      data-testid={testId}
    >
      {GATE_IDS.map((g) => (
        <option key={g} value={g}>
          {gateLabel(g)}
        </option>
      ))}
    </select>
  );
}

/** The primary Resume button of a recovery choice; it says so while the resume runs. */
function ResumeButton({ busy, onResume, testId }: { busy: boolean; onResume: () => void; testId: string }) {
  return (
    <button type="button" className="btn btn-primary" disabled={busy} onClick={onResume} data-testid={testId}>
      {busy ? 'Resuming…' : '▶ Resume'}
    </button>
  );
}
