import type { StoryRunStatus, StoryRunView } from '../../../shared/ipc/views';
import { isDoneStory, needsAttention } from '../../../shared/status';

export interface BoardFilters {
  status: StoryRunStatus | 'all' | 'problems';
  wave: number | 'all';
  agent: string | 'all';
  search: string;
}

export const NO_FILTERS: BoardFilters = { status: 'all', wave: 'all', agent: 'all', search: '' };

export type BoardRow =
  | { kind: 'wave'; wave: number; total: number; shown: number; summary: string; done: boolean }
  | { kind: 'story'; story: StoryRunView };

// One collator for every comparison: String#localeCompare builds one per call, which is
// what made sorting a thousand ids cost whole frames.
const byNaturalId = new Intl.Collator(undefined, { numeric: true }).compare;

export function matches(story: StoryRunView, f: BoardFilters): boolean {
  if (f.status === 'problems' ? !needsAttention(story.status) : f.status !== 'all' && story.status !== f.status)
    return false;
  if (f.wave !== 'all' && story.waveNumber !== f.wave) return false;
  if (f.agent !== 'all' && story.agent !== f.agent) return false;
  const q = f.search.trim().toLowerCase();
  if (q) {
    const hay = `${story.storyId} ${story.title} ${story.domain} ${story.agent} ${story.reason ?? ''}`.toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

/** "✓ 4/4 merged" or "▶ 2 running · 1 queued · 1 failed". */
export function waveSummary(stories: readonly StoryRunView[]): { text: string; done: boolean } {
  const counts = new Map<StoryRunStatus, number>();
  for (const s of stories) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const finished = stories.filter((s) => isDoneStory(s.status)).length;
  if (stories.length > 0 && finished === stories.length)
    return {
      text: `✓ ${finished}/${stories.length} ${counts.get('merged') === finished ? 'merged' : 'passed'}`,
      done: true,
    };
  const order: StoryRunStatus[] = [
    'running',
    'queued',
    'failed',
    'escalated',
    'blocked',
    'stopped',
    'cancelled',
    'passed',
    'merged',
  ];
  const parts = order.filter((s) => counts.get(s)).map((s) => `${counts.get(s)} ${s}`);
  const lead = counts.get('running')
    ? '▶'
    : counts.get('failed') || counts.get('escalated') || counts.get('blocked')
      ? '✕'
      : counts.get('stopped')
        ? '■'
        : '·';
  return { text: `${lead} ${parts.join(' · ') || 'no stories'}`, done: false };
}

// The natural order of story ids, computed again only when the set of ids changes: the
// board is rebuilt on every frame with updates, and sorting a thousand ids each time
// would cost a good part of that frame.
let orderKey = '';
let orderRank = new Map<string, number>();
function rankOf(stories: readonly StoryRunView[]): Map<string, number> {
  const key = stories.map((s) => s.storyId).join('\n');
  if (key !== orderKey) {
    orderKey = key;
    const ids = [...new Set(stories.map((s) => s.storyId))].sort(byNaturalId);
    orderRank = new Map(ids.map((id, i) => [id, i]));
  }
  return orderRank;
}

/** Waves in order, each followed by its (filtered) stories; a wave with no match is left out. */
export function buildRows(stories: readonly StoryRunView[], f: BoardFilters): { rows: BoardRow[]; shown: number } {
  const rank = rankOf(stories);
  // Place every story at its rank (O(n)), then group by wave keeping that order.
  const ordered: StoryRunView[] = new Array(rank.size);
  const extra: StoryRunView[] = [];
  for (const s of stories) {
    const r = rank.get(s.storyId)!;
    if (ordered[r])
      extra.push(s); // the same story id twice (should not happen): keep it, after the others
    else ordered[r] = s;
  }
  const byWave = new Map<number, StoryRunView[]>();
  for (const s of [...ordered, ...extra]) {
    if (!s) continue;
    const list = byWave.get(s.waveNumber);
    if (list) list.push(s);
    else byWave.set(s.waveNumber, [s]);
  }
  const rows: BoardRow[] = [];
  let shown = 0;
  for (const wave of [...byWave.keys()].sort((a, b) => a - b)) {
    const all = byWave.get(wave)!;
    const visible = all.filter((s) => matches(s, f));
    if (visible.length === 0) continue;
    const { text, done } = waveSummary(all);
    rows.push({ kind: 'wave', wave, total: all.length, shown: visible.length, summary: text, done });
    for (const story of visible) rows.push({ kind: 'story', story });
    shown += visible.length;
  }
  return { rows, shown };
}
