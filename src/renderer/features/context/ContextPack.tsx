import { useState } from 'react';
import type { ContextPackView, StoryRunView } from '../../../shared/ipc/views';
import { inertText } from '../../../shared/text/inert';
import { api } from '../../api/client';
import { describeError } from '../../lib/errors';
import { plural, tokens } from '../../lib/format';
import { gateLabel } from '../../lib/gates';
import { useRequest } from '../../lib/use-request';
import { storyMoved } from '../review/ReviewComments';

/** A pack's size as a share of the repository ("4.2 %"). */
export function repoShare(total: number, repo: number): string {
  if (repo <= 0) return '—';
  const p = (total / repo) * 100;
  return `${p < 0.1 && p > 0 ? '<0.1' : p.toFixed(1)} %`;
}

/**
 * The context packs a story's agent phases got (WAVE_CONTEXT_FILE): for the chosen phase,
 * its files with why each is there and its tokens, and the pack's share of the repository.
 * Read again when the story moves on.
 */
export function StoryContextPack({ story }: { story: StoryRunView }) {
  const [chosen, setChosen] = useState<number | null>(null);
  const req = useRequest(
    () => api.story.context({ sessionId: story.sessionId, storyId: story.storyId }),
    [story.sessionId, story.storyId, storyMoved(story)],
  );
  const error = req.error ? describeError(`read the context of ${story.storyId}`, req.error) : null;
  const packs = req.value;

  if (error) return <p className="tone-bad small">{error}</p>;
  if (!packs || packs.length === 0) return null;
  const pack = packs.find((p) => p.gateRunId === chosen) ?? packs.at(-1)!;
  const key = (p: ContextPackView) => `${p.gateRunId}:${p.at}`;
  return (
    <details className="context-pack" data-testid="context-pack">
      <summary>
        Context: <span data-testid="context-pack-summary">{summaryLine(pack)}</span>
      </summary>
      {packs.length > 1 ? (
        <label className="small">
          Phase{' '}
          <select
            value={key(pack)}
            onChange={(e) => setChosen(packs.find((p) => key(p) === e.target.value)?.gateRunId ?? null)}
            data-testid="context-pack-phase"
          >
            {packs.map((p) => (
              <option key={key(p)} value={key(p)}>
                {gateLabel(p.gate)} · attempt {p.attempt}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <table className="table small" data-testid="context-pack-files">
        <caption className="muted">
          What the agent was pointed at in {gateLabel(pack.gate)}, in rank order
          {pack.leftOut > 0 ? `; ${plural(pack.leftOut, 'related file')} did not fit the budget` : ''}
        </caption>
        <thead>
          <tr>
            <th>file</th>
            <th>why</th>
            <th>tokens</th>
          </tr>
        </thead>
        <tbody>
          {pack.files.map((f) => (
            <tr key={f.path}>
              <td className="mono">{inertText(f.path)}</td>
              <td>{f.reason}</td>
              <td className="num">{tokens(f.tokens)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function summaryLine(p: ContextPackView): string {
  return `${plural(p.files.length, 'file')} · ${tokens(p.totalTokens)} (budget ${tokens(p.budgetTokens)}) · ${repoShare(p.totalTokens, p.repoTokens)} of the repository's ${tokens(p.repoTokens)}`;
}
