import { describe, expect, it } from 'vitest';
import type { StoryRunView } from '../../../shared/ipc/views';
import { NO_FILTERS, buildRows, waveSummary } from './board-rows';

const story = (
  storyId: string,
  waveNumber: number,
  status: StoryRunView['status'],
  agent = 'be-dev',
  reason: string | null = null,
): StoryRunView => ({
  id: `r-${storyId}`,
  sessionId: 's1',
  storyId,
  title: `title of ${storyId}`,
  waveNumber,
  domain: 'be',
  agent,
  status,
  currentGate: null,
  attempts: 1,
  costUsd: 0,
  startedAt: null,
  endedAt: null,
  reason,
  mergeSha: null,
  progress: null,
  gates: [],
});

describe('waves board rows', () => {
  const stories = [
    story('MATH-10', 2, 'running'),
    story('MATH-2', 2, 'queued', 'fe-dev'),
    story('MATH-1', 1, 'merged'),
    story('DOCS-1', 2, 'failed', 'docs', 'boundary: src/hack.js'),
  ];

  it('groups stories under their wave, in wave and natural id order', () => {
    const { rows, shown } = buildRows(stories, NO_FILTERS);
    expect(shown).toBe(4);
    expect(rows.map((r) => (r.kind === 'wave' ? `W${r.wave}` : r.story.storyId))).toEqual([
      'W1',
      'MATH-1',
      'W2',
      'DOCS-1',
      'MATH-2',
      'MATH-10',
    ]);
  });

  it('filters by status, agent and search text, dropping waves with nothing left', () => {
    expect(
      buildRows(stories, { ...NO_FILTERS, status: 'problems' }).rows.map((r) =>
        r.kind === 'story' ? r.story.storyId : r.wave,
      ),
    ).toEqual([2, 'DOCS-1']);
    expect(buildRows(stories, { ...NO_FILTERS, agent: 'fe-dev' }).shown).toBe(1);
    expect(buildRows(stories, { ...NO_FILTERS, search: 'hack.js' }).shown).toBe(1);
    expect(buildRows(stories, { ...NO_FILTERS, wave: 1 }).rows).toHaveLength(2);
  });

  it('summarises a wave in words', () => {
    expect(waveSummary([story('A', 1, 'merged'), story('B', 1, 'merged')]).text).toBe('✓ 2/2 merged');
    expect(waveSummary([story('A', 1, 'running'), story('B', 1, 'running'), story('C', 1, 'queued')]).text).toBe(
      '▶ 2 running · 1 queued',
    );
  });
});
