import { useMemo, useState } from 'react';
import { needsAttention } from '../../../shared/status';
import { CheckboxField } from '../../components/CheckboxField';
import { useAppStore } from '../../state/app-store';
import { shortId } from '../../lib/format';
import { useNow } from '../../state/clock';
import { ui, useUiStore } from '../../state/ui-store';
import { EmptyState } from '../EmptyState';
import { Gantt, type GanttLane } from './Gantt';
import { StoryDetail } from './StoryDetail';

const STATUS_GLYPH: Record<string, string> = {
  running: '▶',
  merged: '✓',
  passed: '✓',
  failed: '✕',
  escalated: '⚠',
  blocked: '⛔',
  stopped: '■',
  cancelled: '–',
  queued: '·',
};

/** The session-wide Gantt: stories on y, time on x, one segment per gate attempt. */
export function TimelineView() {
  const session = useAppStore((s) => s.session);
  const selectedStory = useUiStore((s) => s.storyRunId);
  const gateRunId = useUiStore((s) => s.gateRunId);
  const [onlyProblems, setOnlyProblems] = useState(false);
  const live = session?.status === 'running' || session?.status === 'stopping';
  const now = useNow(live);
  const stories = session?.stories;
  const lanes = useMemo<GanttLane[]>(() => {
    const started = (stories ?? []).filter(
      (s) =>
        s.gates.length > 0 && (!onlyProblems || needsAttention(s.status) || s.gates.some((g) => g.status === 'failed')),
    );
    started.sort(
      (a, b) =>
        a.waveNumber - b.waveNumber ||
        (a.gates[0]?.startedAt ?? '').localeCompare(b.gates[0]?.startedAt ?? '') ||
        a.storyId.localeCompare(b.storyId),
    );
    return started.map((s) => ({
      key: s.id,
      label: (
        <span>
          <span aria-hidden="true">{STATUS_GLYPH[s.status] ?? '·'}</span> <span className="mono">{s.storyId}</span>{' '}
          <span className="muted small">w{s.waveNumber}</span>
        </span>
      ),
      labelText: `${s.storyId} (${s.status}, wave ${s.waveNumber})`,
      attempts: s.gates,
      onLabel: () => ui.openStory(s.id),
    }));
  }, [stories, onlyProblems]);

  if (!session) {
    return (
      <EmptyState title="No gate runs to show">
        The timeline draws one bar per gate attempt once a session runs. Start one from an approved PRD (Alt+5).
      </EmptyState>
    );
  }
  const waiting = (stories ?? []).filter((s) => s.gates.length === 0).length;
  return (
    <div className={`board-layout${selectedStory ? ' with-detail' : ''}`}>
      <section className="timeline" aria-label="Session timeline">
        <div className="board-toolbar">
          <h2 className="inline-title">
            Timeline · session {shortId(session.id)} · {session.status}
          </h2>
          <CheckboxField
            label="only stories with failures"
            checked={onlyProblems}
            onChange={setOnlyProblems}
            className="inline-field"
          />
          <span className="muted small" data-testid="timeline-count">
            {lanes.length} stories with gate runs{waiting ? ` · ${waiting} not started yet` : ''}
          </span>
        </div>
        {lanes.length === 0 ? (
          <p className="muted" data-testid="timeline-empty">
            {onlyProblems
              ? 'No story has failed a gate.'
              : 'No gate has started yet; bars appear as soon as the first agent starts.'}
          </p>
        ) : (
          <Gantt
            lanes={lanes}
            now={now}
            live={live}
            startHint={session.startedAt}
            onSelect={(a, storyRunId) => ui.openGate(a.gateRunId, storyRunId)}
            selectedGateRunId={gateRunId}
            testId="session-gantt"
          />
        )}
      </section>
      {selectedStory ? <StoryDetail storyRunId={selectedStory} /> : null}
    </div>
  );
}
