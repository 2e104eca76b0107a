import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useMemo, useRef, useState } from 'react';
import type { StoryRunView } from '../../../shared/ipc/views';
import { GATE_NAMES, STORY_STATUSES } from '../../lib/contract-constants';
import { duration, elapsedMs, shortId, storyEndIso, usd } from '../../lib/format';
import { useAppStore } from '../../state/app-store';
import { useNow } from '../../state/clock';
import { ui, useUiStore } from '../../state/ui-store';
import { EmptyState } from '../EmptyState';
import { StoryDetail } from '../timeline/StoryDetail';
import { NO_FILTERS, buildRows, type BoardFilters, type BoardRow } from './board-rows';
import { GateLegend, GateStrip } from './GateStrip';
import { needsAttention } from '../../../shared/status';

const WAVE_ROW_PX = 40;
const STORY_ROW_PX = 54;

export function WavesView() {
  const session = useAppStore((s) => s.session);
  const loading = useAppStore((s) => s.loading);
  const selected = useUiStore((s) => s.storyRunId);
  const [filters, setFilters] = useState<BoardFilters>(NO_FILTERS);
  const live = session?.status === 'running' || session?.status === 'stopping' || session?.status === 'paused';
  const now = useNow(live);
  const stories = useMemo(() => session?.stories ?? [], [session?.stories]);
  const { rows, shown } = useMemo(() => buildRows(stories, filters), [stories, filters]);
  const waves = useMemo(() => [...new Set(stories.map((s) => s.waveNumber))].sort((a, b) => a - b), [stories]);
  const agents = useMemo(() => [...new Set(stories.map((s) => s.agent))].sort(), [stories]);

  if (loading) return <p className="muted">Loading the board…</p>;
  if (!session) {
    return (
      <EmptyState title="No session yet">
        Import stories and a PRD{' '}
        <button type="button" className="link-button" onClick={() => ui.go('import')}>
          (Import, Alt+4)
        </button>
        , approve it{' '}
        <button type="button" className="link-button" onClick={() => ui.go('prd')}>
          (PRD, Alt+5)
        </button>
        , then start a session there: its waves and each story&apos;s gate strip appear here, live.
      </EmptyState>
    );
  }

  const set = (patch: Partial<BoardFilters>) => setFilters((f) => ({ ...f, ...patch }));
  return (
    <div className={`board-layout${selected ? ' with-detail' : ''}`}>
      <section className="board" aria-label="Waves board">
        <div className="board-toolbar" role="search">
          <input
            type="search"
            className="input"
            placeholder="Search id, title, agent, reason…"
            aria-label="Search stories"
            value={filters.search}
            onChange={(e) => set({ search: e.target.value })}
            data-testid="board-search"
          />
          <label className="inline-field">
            status
            <select
              className="input"
              value={filters.status}
              onChange={(e) => set({ status: e.target.value as BoardFilters['status'] })}
              data-testid="filter-status"
            >
              <option value="all">all</option>
              <option value="problems">problems (failed, blocked, escalated)</option>
              {STORY_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            wave
            <select
              className="input"
              value={String(filters.wave)}
              onChange={(e) => set({ wave: e.target.value === 'all' ? 'all' : Number(e.target.value) })}
              data-testid="filter-wave"
            >
              <option value="all">all</option>
              {waves.map((w) => (
                <option key={w} value={w}>
                  {w}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            agent
            <select
              className="input"
              value={filters.agent}
              onChange={(e) => set({ agent: e.target.value })}
              data-testid="filter-agent"
            >
              <option value="all">all</option>
              {agents.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <span className="muted small" data-testid="board-count" aria-live="polite">
            {shown} of {stories.length} stories
          </span>
          {filters.status !== 'all' || filters.wave !== 'all' || filters.agent !== 'all' || filters.search !== '' ? (
            <button type="button" className="btn btn-small" onClick={() => setFilters(NO_FILTERS)}>
              Clear filters
            </button>
          ) : null}
        </div>
        <GateLegend />
        {stories.length === 0 ? (
          <p className="muted" data-testid="board-empty">
            Session {shortId(session.id)} is {session.status}; its stories appear here as soon as the orchestrator plans
            them.
          </p>
        ) : rows.length === 0 ? (
          <p className="muted">No story matches these filters. Clear them to see all {stories.length} stories.</p>
        ) : (
          <BoardList rows={rows} now={now} selected={selected} />
        )}
      </section>
      {selected ? <StoryDetail storyRunId={selected} /> : null}
    </div>
  );
}

function BoardList({ rows, now, selected }: { rows: BoardRow[]; now: number; selected: string | null }) {
  const parent = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is a mutable object by design
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => parent.current,
    estimateSize: (i) => (rows[i]?.kind === 'wave' ? WAVE_ROW_PX : STORY_ROW_PX),
    getItemKey: (i) => {
      const r = rows[i];
      return r ? (r.kind === 'wave' ? `w${r.wave}` : r.story.id) : i;
    },
    overscan: 8,
  });
  return (
    <div ref={parent} className="board-scroll" data-testid="board" role="list" aria-label="Stories by wave">
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index]!;
          const style = {
            position: 'absolute' as const,
            top: 0,
            left: 0,
            right: 0,
            height: item.size,
            transform: `translateY(${item.start}px)`,
          };
          return row.kind === 'wave' ? (
            <div
              key={item.key}
              style={style}
              className={`wave-row${row.done ? ' wave-done' : ''}`}
              role="listitem"
              data-testid="wave-row"
            >
              <strong>Wave {row.wave}</strong> <span>{row.summary}</span>
              {row.shown !== row.total ? (
                <span className="muted small">
                  {' '}
                  · showing {row.shown} of {row.total}
                </span>
              ) : null}
            </div>
          ) : (
            <div key={item.key} style={style} role="listitem" className="virtual-item">
              <StoryRow story={row.story} now={now} selected={row.story.id === selected} />
            </div>
          );
        })}
      </div>
    </div>
  );
}

const StoryRow = memo(function StoryRow({
  story,
  now,
  selected,
}: {
  story: StoryRunView;
  now: number;
  selected: boolean;
}) {
  // Waiting for a person's merge approval is not a failure of the story's work.
  const problem = needsAttention(story.status) && !story.awaitingMergeApproval;
  const elapsed = elapsedMs(story.startedAt, storyEndIso(story), now);
  const gate = story.currentGate ? `${story.currentGate} ${GATE_NAMES[story.currentGate]}` : null;
  const line2 = story.awaitingMergeApproval
    ? `⏸ ${story.reason ?? 'Waiting for merge approval'}`
    : problem && story.reason
      ? `✕ ${story.reason}`
      : story.progress
        ? `${story.progress.message}${story.progress.pct !== null ? ` (${Math.round(story.progress.pct)} %)` : ''}`
        : (story.reason ?? '');
  return (
    <div
      className={`story-row status-${story.status}${selected ? ' selected' : ''}`}
      data-testid="story-row"
      data-story={story.storyId}
      data-status={story.status}
      onClick={() => ui.openStory(story.id)}
    >
      <button
        type="button"
        className="story-open"
        onClick={(e) => (e.stopPropagation(), ui.openStory(story.id))}
        aria-label={`Open ${story.storyId}: ${story.title}`}
        aria-pressed={selected}
      >
        <span className="story-id mono">{story.storyId}</span>
      </button>
      <span className="story-title" title={story.title}>
        {story.title}
      </span>
      <span className="story-agent" title={`agent ${story.agent}, domain ${story.domain}`}>
        {story.agent}
      </span>
      <GateStrip gates={story.gates} />
      <span className="story-status" data-testid="story-status">
        <span className={`status-badge status-${story.status}`}>{story.status}</span>
        {gate && story.status === 'running' ? <span className="muted small"> {gate}</span> : null}
        {story.attempts > 1 ? <span className="muted small"> · {story.attempts} attempts</span> : null}
      </span>
      <span className="story-elapsed num" title="elapsed">
        {elapsed === null ? '—' : duration(elapsed)}
      </span>
      <span className="story-cost num" title="cost in US dollars">
        {usd(story.costUsd)}
      </span>
      <span
        className={`story-line2 ${problem ? 'tone-bad' : 'muted'}`}
        data-testid={problem ? 'story-reason' : undefined}
        title={line2}
      >
        {line2}
      </span>
    </div>
  );
});
