import type { PrdDetail } from '../../../shared/ipc';
import { isDoneStory } from '../../../shared/status';
import type { StoryRunTiming } from '../../store/repos';

/** A plain forecast from finished story runs: average cost and duration per story, waves run `concurrency` at a time. */
export function forecastFromRuns(
  runs: readonly StoryRunTiming[],
  storyCount: number,
  waves: string[][],
  concurrency: number,
): PrdDetail['forecast'] {
  const done = runs.filter((r) => r.ended && r.started && isDoneStory(r.status));
  if (done.length === 0) {
    return {
      costUsd: null,
      minutes: null,
      basis: 'No finished story runs yet to forecast from; the first session sets the baseline.',
    };
  }
  const avgCost = done.reduce((s, r) => s + Number(r.cost ?? 0), 0) / done.length;
  const avgMin = done.reduce((s, r) => s + (r.ended!.getTime() - r.started!.getTime()), 0) / done.length / 60_000;
  const minutes = waves.reduce((s, w) => s + Math.ceil(w.length / Math.max(1, concurrency)) * avgMin, 0);
  return {
    costUsd: Math.round(avgCost * storyCount * 100) / 100,
    minutes: Math.round(minutes * 10) / 10,
    basis: `Average of ${done.length} finished story run${done.length === 1 ? '' : 's'}: $${avgCost.toFixed(2)} and ${avgMin.toFixed(1)} min per story, ${concurrency} in parallel.`,
  };
}
