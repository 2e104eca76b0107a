import { useCallback, useEffect, useMemo, useRef, type ReactNode } from 'react';
import type { StoryRunView } from '../../../shared/ipc/views';
import { needsAttention } from '../../../shared/status';
import { GATE_IDS } from '../../lib/contract-constants';
import { duration, elapsedMs, storyEndIso, tokens, usd } from '../../lib/format';
import { gateLabel } from '../../lib/gates';
import { useAppStore } from '../../state/app-store';
import { useNow } from '../../state/clock';
import { ui, useUiStore } from '../../state/ui-store';
import { GateStrip } from '../waves/GateStrip';
import { Gantt, type GanttLane } from './Gantt';
import { StoryDecisions } from './StoryDecisions';
import { EarlierWork } from './EarlierWork';
import { GateDetail } from './GateDetail';
import { ChangesPanel } from '../review/ChangesPanel';
import { StoryReview } from '../review/ReviewComments';
import { StoryContextPack } from '../context/ContextPack';

/** A story's detail: what it is doing, its per-gate Gantt, every attempt, and the open gate's log. */
export function StoryDetail({ storyRunId }: { storyRunId: string }) {
  const story = useAppStore((s) => s.session?.stories.find((x) => x.id === storyRunId) ?? null);
  const gateRunId = useUiStore((s) => s.gateRunId);
  const closeRef = useRef<HTMLButtonElement>(null);
  const live = story?.status === 'running';
  const now = useNow(live);
  const changesOpen = useUiStore((s) => s.changesStoryRunId === storyRunId);
  const closeChanges = useCallback(() => ui.openChanges(null), []);

  useEffect(() => {
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('dialog[open]')) return;
      if (useUiStore.getState().gateRunId !== null) ui.openGate(null);
      else ui.openStory(null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [storyRunId]);

  const lanes = useMemo<GanttLane[]>(
    () =>
      story
        ? GATE_IDS.map((g) => ({
            key: g,
            label: gateLabel(g),
            labelText: gateLabel(g),
            attempts: story.gates.filter((a) => a.gate === g),
          }))
        : [],
    [story],
  );

  if (!story) {
    return (
      <aside className="drawer" aria-label="Story detail" data-testid="story-detail">
        <button ref={closeRef} type="button" className="btn btn-small" onClick={() => ui.openStory(null)}>
          ✕ Close
        </button>
        <p className="muted">
          This story run is not part of the current session any more. Close this panel and pick a story on the board.
        </p>
      </aside>
    );
  }
  const elapsed = elapsedMs(story.startedAt, storyEndIso(story), now);
  const tokenIn = story.gates.reduce((s, g) => s + g.inputTokens, 0);
  const tokenOut = story.gates.reduce((s, g) => s + g.outputTokens, 0);
  return (
    <aside className="drawer" aria-label={`Story ${story.storyId}`} data-testid="story-detail">
      <div className="drawer-head">
        <h2>
          <span className="mono">{story.storyId}</span> {story.title}
        </h2>
        <button
          ref={closeRef}
          type="button"
          className="btn btn-small"
          onClick={() => ui.openStory(null)}
          aria-label="Close story detail (Escape)"
        >
          ✕ Close
        </button>
      </div>
      <dl className="facts">
        <Fact k="status" v={<span className={`status-badge status-${story.status}`}>{story.status}</span>} />
        <Fact k="wave" v={String(story.waveNumber)} />
        <Fact k="agent" v={`${story.agent} (domain ${story.domain || '—'})`} />
        <Fact k="current gate" v={story.currentGate ? gateLabel(story.currentGate) : '—'} />
        <Fact k="elapsed" v={elapsed === null ? 'not started' : duration(elapsed)} />
        <Fact k="cost" v={usd(story.costUsd)} />
        <Fact k="tokens" v={`${tokens(tokenIn)} in · ${tokens(tokenOut)} out`} />
        <Fact k="attempts" v={String(story.attempts)} />
        {story.mergeSha ? <Fact k="merged as" v={<span className="mono">{story.mergeSha.slice(0, 12)}</span>} /> : null}
      </dl>
      {story.reason ? (
        <p
          className={needsAttention(story.status) && !story.awaitingMergeApproval ? 'callout callout-bad' : 'callout'}
          data-testid="story-detail-reason"
        >
          {story.reason}
        </p>
      ) : null}
      <StoryDecisions story={story} />
      <EarlierWork story={story} />
      {story.branch || story.mergeSha ? (
        <p>
          <button type="button" className="btn" onClick={() => ui.openChanges(storyRunId)} data-testid="open-changes">
            Changes…
          </button>{' '}
          <span className="muted small">
            {live ? 'what the agent has committed so far' : 'review the branch file by file'}
          </span>
        </p>
      ) : null}
      {changesOpen ? <ChangesPanel story={story} onClose={closeChanges} /> : null}
      <StoryReview story={story} />
      <StoryContextPack story={story} />
      {story.progress ? (
        <p className="muted">
          {story.progress.message}
          {story.progress.pct !== null ? ` (${Math.round(story.progress.pct)} %)` : ''}
        </p>
      ) : null}
      <GateStrip gates={story.gates} />
      <h3>Gates over time</h3>
      {story.gates.length === 0 ? (
        <p className="muted">
          No gate has started yet
          {story.status === 'queued' ? ': the story is queued behind the concurrency limit or its dependencies' : ''}.
        </p>
      ) : (
        <Gantt
          lanes={lanes}
          now={now}
          live={live}
          onSelect={(a) => ui.openGate(a.gateRunId, story.id)}
          selectedGateRunId={gateRunId}
          testId="story-gantt"
        />
      )}
      {gateRunId !== null ? (
        <GateDetail story={story} gateRunId={gateRunId} />
      ) : (
        <AttemptTable story={story} now={now} />
      )}
    </aside>
  );
}

function Fact({ k, v }: { k: string; v: ReactNode }) {
  return (
    <div className="fact">
      <dt>{k}</dt>
      <dd>{v}</dd>
    </div>
  );
}

function AttemptTable({ story, now }: { story: StoryRunView; now: number }) {
  if (story.gates.length === 0) return null;
  return (
    <table className="table small" data-testid="attempt-table">
      <caption className="muted">Every gate attempt (open one for its log)</caption>
      <thead>
        <tr>
          <th>gate</th>
          <th>attempt</th>
          <th>status</th>
          <th>duration</th>
          <th>tokens</th>
          <th>cost</th>
          <th>log</th>
        </tr>
      </thead>
      <tbody>
        {story.gates.map((a) => (
          <tr key={a.gateRunId} className={`status-${a.status}`}>
            <td>{gateLabel(a.gate)}</td>
            <td className="num">{a.attempt}</td>
            <td>
              {a.status}
              {a.reason ? <div className="tone-bad small">{a.reason}</div> : null}
              {a.subagents?.map((sub) => (
                <div key={sub.agent} className="muted small" data-testid="subagent" title={sub.task}>
                  ↳ subagent <span className="mono">{sub.agent}</span> {sub.status} · {duration(sub.durationMs)} ·{' '}
                  {usd(sub.costUsd)}
                </div>
              ))}
            </td>
            <td className="num">{duration(a.durationMs ?? elapsedMs(a.startedAt, a.endedAt, now))}</td>
            <td className="num">{tokens(a.inputTokens + a.outputTokens)}</td>
            <td className="num">{usd(a.costUsd)}</td>
            <td>
              <button type="button" className="btn btn-small" onClick={() => ui.openGate(a.gateRunId, story.id)}>
                Log
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
