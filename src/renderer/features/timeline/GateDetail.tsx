import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { StoryRunView } from '../../../shared/ipc/views';
import { api } from '../../api/client';
import { describeError } from '../../lib/errors';
import { clock, duration, elapsedMs, tokens, usd } from '../../lib/format';
import { gateLabel } from '../../lib/gates';
import { forgetLog, seedLog, useAppStore } from '../../state/app-store';
import { useNow } from '../../state/clock';
import { ui } from '../../state/ui-store';

const FIRST_TAIL_BYTES = 64 * 1024;

/** One gate attempt: its numbers, its reason, and a live tail of its log. */
export function GateDetail({ story, gateRunId }: { story: StoryRunView; gateRunId: number }) {
  const attempt = story.gates.find((g) => g.gateRunId === gateRunId) ?? null;
  const now = useNow(attempt?.status === 'running');
  if (!attempt) {
    return (
      <section className="gate-detail" data-testid="gate-detail">
        <p className="muted">This gate attempt is not in the story any more.</p>
        <button type="button" className="btn btn-small" onClick={() => ui.openGate(null)}>
          Back to the attempts
        </button>
      </section>
    );
  }
  return (
    <section
      className="gate-detail"
      data-testid="gate-detail"
      aria-label={`${gateLabel(attempt.gate)} attempt ${attempt.attempt}`}
    >
      <div className="drawer-head">
        <h3>
          {gateLabel(attempt.gate)} · attempt {attempt.attempt} ·{' '}
          <span className={`status-badge status-${attempt.status}`}>{attempt.status}</span>
        </h3>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => ui.openGate(null)}
          aria-label="Back to the attempts (Escape)"
        >
          ← Attempts
        </button>
      </div>
      <p className="small">
        started {clock(attempt.startedAt)} · {attempt.endedAt ? `ended ${clock(attempt.endedAt)} · ` : ''}
        duration {duration(attempt.durationMs ?? elapsedMs(attempt.startedAt, attempt.endedAt, now))}
        {attempt.status === 'running' ? ' so far' : ''} · {tokens(attempt.inputTokens)} in ·{' '}
        {tokens(attempt.outputTokens)} out · {usd(attempt.costUsd)}
      </p>
      {attempt.reason ? <p className="callout callout-bad">{attempt.reason}</p> : null}
      {attempt.env ? (
        <p className="small muted" data-testid="gate-env">
          Environment (names only): agent <span className="mono">{attempt.env.agent.join(' ') || 'none'}</span> ·
          commands <span className="mono">{attempt.env.commands.join(' ') || 'none'}</span> · plus WAVE_SESSION_ID,
          WAVE_STORY_ID and the other WAVE_* run values
        </p>
      ) : null}
      <LogTail gateRunId={gateRunId} running={attempt.status === 'running'} />
    </section>
  );
}

/** gate.follow first (so nothing written meanwhile is missed), then gate.log for what is already there. */
function LogTail({ gateRunId, running }: { gateRunId: number; running: boolean }) {
  const log = useAppStore((s) => s.logs[gateRunId]);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [following, setFollowing] = useState(false);
  const pre = useRef<HTMLPreElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    let cancelled = false;
    let followed = false;
    void (async () => {
      if (running) {
        const f = await api.gate.follow({ gateRunId, follow: true });
        if (cancelled) {
          if (f.ok) void api.gate.follow({ gateRunId, follow: false });
          return;
        }
        followed = f.ok && f.value.following;
        setFollowing(followed);
      }
      const res = await api.gate.log({ gateRunId, maxBytes: FIRST_TAIL_BYTES });
      if (cancelled) return;
      if (!res.ok) {
        setError(describeError(`read the log of gate run ${gateRunId}`, res.error));
        return;
      }
      seedLog(gateRunId, res.value.text, res.value.offset, res.value.nextOffset);
      setLoaded(true);
      if (followed && !res.value.running) {
        followed = false;
        setFollowing(false);
        void api.gate.follow({ gateRunId, follow: false });
      }
    })();
    return () => {
      cancelled = true;
      if (followed) void api.gate.follow({ gateRunId, follow: false });
      forgetLog(gateRunId);
    };
  }, [gateRunId, running]);

  useLayoutEffect(() => {
    const el = pre.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [log?.text]);

  return (
    <div className="log-tail">
      <div className="log-head small muted">
        log{' '}
        {log && log.start > 0
          ? `(last ${Math.round((log.end - log.start) / 1024)} KB of ${Math.round(log.end / 1024)} KB)`
          : ''}
        {following ? (
          <span className="tone-ok"> ● following live</span>
        ) : running ? (
          ' · waiting for the log'
        ) : (
          ' · finished'
        )}
      </div>
      {error ? (
        <p className="callout callout-bad" data-testid="log-error">
          {error}
        </p>
      ) : !loaded && !log ? (
        <p className="muted">Loading the log…</p>
      ) : (
        <pre
          ref={pre}
          className="log"
          data-testid="gate-log"
          tabIndex={0}
          aria-label="Gate log"
          onScroll={(e) => {
            const el = e.currentTarget;
            stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          }}
        >
          {log?.text || '(the log is empty so far)'}
        </pre>
      )}
    </div>
  );
}
