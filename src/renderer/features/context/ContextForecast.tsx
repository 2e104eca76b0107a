import { inertText } from '../../../shared/text/inert';
import { api } from '../../api/client';
import { describeError } from '../../lib/errors';
import { tokens } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { repoShare } from './ContextPack';

/**
 * The PRD review's forecast of context per story: each story's pack built now against the
 * project's target branch (cached by tree in the core), so a lead sees before approving how
 * much of the repository each agent will be pointed at.
 */
export function ContextForecast({ prdId, contentHash }: { prdId: string; contentHash: string }) {
  const req = useRequest(() => api.prd.contextForecast({ prdId }), [prdId, contentHash]);
  if (req.error)
    return (
      <p className="muted small" data-testid="prd-context-forecast-error">
        {describeError('forecast the context packs', req.error)}
      </p>
    );
  const f = req.value;
  if (!f || f.stories.length === 0) return null;
  return (
    <details className="card" data-testid="prd-context-forecast">
      <summary>
        <strong>Context per story</strong>{' '}
        <span className="muted small">
          forecast from {f.rev} ({f.tree.slice(0, 12)}): budget {tokens(f.budgetTokens)}, repository{' '}
          {tokens(f.repoTokens)}
        </span>
      </summary>
      <table className="table small">
        <thead>
          <tr>
            <th>story</th>
            <th>domain</th>
            <th>files</th>
            <th>tokens</th>
            <th>share of repository</th>
            <th>first files</th>
          </tr>
        </thead>
        <tbody>
          {f.stories.map((s) => (
            <tr key={s.storyId}>
              <td className="mono">{s.storyId}</td>
              <td>{s.domain || '—'}</td>
              <td className="num">
                {s.files}
                {s.leftOut > 0 ? <span className="muted"> (+{s.leftOut} left out)</span> : null}
              </td>
              <td className="num">{tokens(s.totalTokens)}</td>
              <td className="num">{repoShare(s.totalTokens, f.repoTokens)}</td>
              <td className="mono small">
                {s.top
                  .slice(0, 3)
                  .map((t) => inertText(t.path))
                  .join(', ')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
