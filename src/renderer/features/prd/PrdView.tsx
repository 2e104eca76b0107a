import { useMemo, useState, type FormEvent } from 'react';
import type { PrdDetail, PrdSummary } from '../../../shared/ipc/views';
import { isActiveSession } from '../../../shared/status';
import type { AuthorisedRuns } from '../../../shared/stories/authorised-runs';
import { api } from '../../api/client';
import { BudgetField, StoriesInParallelField } from '../../components/NumberField';
import { describeError } from '../../lib/errors';
import { useRequest } from '../../lib/use-request';
import { ContextForecast } from '../context/ContextForecast';
import { fleetUnavailableIn, RunOnFleet } from '../fleet/RunOnFleet';
import { dateTime, plural, shortId, usd } from '../../lib/format';
import { useAppStore } from '../../state/app-store';
import { ui, useUiStore } from '../../state/ui-store';
import { EmptyState } from '../EmptyState';
import { renderMarkdown, stripFrontMatter } from './markdown';

const STATUS_TEXT: Record<PrdSummary['status'], string> = {
  draft: '○ draft — not approved',
  approved: '✓ approved',
  rejected: '✕ rejected',
  void: '⚠ approval void',
};
const APPROVER_KEY = 'wave.approver';

export function PrdView() {
  const prds = useAppStore((s) => s.prds);
  const selected = useUiStore((s) => s.prdId);
  const current = prds.find((p) => p.id === selected) ?? prds[0] ?? null;

  if (prds.length === 0) {
    return (
      <EmptyState title="No PRD imported">
        Import a PRD (markdown with front matter listing its stories) and its story files{' '}
        <button type="button" className="link-button" onClick={() => ui.go('import')}>
          in Import (Alt+4)
        </button>
        , then read it here rendered and approve or reject it.
      </EmptyState>
    );
  }
  return (
    <div className="prd-layout">
      <nav className="prd-list" aria-label="PRDs">
        <h2 className="small muted">PRDs</h2>
        <ul>
          {prds.map((p) => (
            <li key={p.id}>
              <button
                type="button"
                className="prd-item"
                aria-current={current?.id === p.id ? 'true' : undefined}
                onClick={() => ui.openPrd(p.id)}
                data-testid="prd-item"
              >
                <strong>{p.title}</strong>
                <span className="mono small">{p.id}</span>
                <span className={`small prd-status-${p.status}`}>
                  {STATUS_TEXT[p.status]} · {p.storyCount} stories
                </span>
              </button>
            </li>
          ))}
        </ul>
      </nav>
      {current ? <PrdPanel key={current.id} summary={current} /> : null}
    </div>
  );
}

function PrdPanel({ summary }: { summary: PrdSummary }) {
  // Re-read whenever the core says this PRD changed (prd.changed updates the summary), never on a timer.
  const req = useRequest(
    () => api.prd.get({ prdId: summary.id }),
    [summary.id, summary.status, summary.contentHash, summary.updatedAt, summary.storyCount],
  );
  const [decided, setDecided] = useState<PrdDetail | null>(null);
  // The decision's answer shows at once; the re-read it triggers (via prd.changed) replaces it.
  const detail = req.loading && decided?.id === summary.id ? decided : (req.value ?? decided);
  const error = req.error ? describeError(`load PRD ${summary.id}`, req.error) : null;
  const load = req.reload;

  const html = useMemo(() => (detail ? renderMarkdown(stripFrontMatter(detail.content)) : ''), [detail]);

  if (error && !detail) {
    return (
      <section className="callout callout-bad">
        <p>{error}</p>
        <button type="button" className="btn" onClick={load}>
          Retry
        </button>
      </section>
    );
  }
  if (!detail) return <p className="muted">Loading {summary.id}…</p>;
  return (
    <article className="prd-panel" data-testid="prd-panel" aria-label={`PRD ${detail.id}`}>
      <header className="prd-head">
        <h2>
          {detail.title} <span className="mono small muted">{detail.id}</span>
        </h2>
        <span className={`status-badge prd-status-${detail.status}`} data-testid="prd-status">
          {STATUS_TEXT[detail.status]}
        </span>
      </header>
      <Stamp detail={detail} />
      <Forecast detail={detail} />
      {detail.warnings.length ? (
        <ul className="callout callout-warn" data-testid="prd-warnings">
          {detail.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      ) : null}
      <div className="prd-body">
        <div className="markdown card" data-testid="prd-markdown" dangerouslySetInnerHTML={{ __html: html }} />
        <aside className="prd-waves card" aria-label="Stories by wave" data-testid="prd-waves">
          <h3>Stories by wave</h3>
          {detail.waves.length === 0 ? <p className="muted">No imported story of this PRD yet.</p> : null}
          {detail.waves.map((w) => (
            <section key={w.wave}>
              <h4>
                Wave {w.wave} · {w.stories.length} {w.stories.length === 1 ? 'story' : 'stories'}
              </h4>
              <ul className="plain">
                {w.stories.map((s) => (
                  <li key={s.storyId}>
                    <span className="mono">{s.storyId}</span> {s.title}{' '}
                    <span className="muted small">({s.domain || 'no domain'})</span>
                    {s.dependencies.length ? (
                      <span className="muted small"> · after {s.dependencies.join(', ')}</span>
                    ) : null}
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </aside>
      </div>
      <ContextForecast prdId={detail.id} contentHash={detail.contentHash} />
      <Runs runs={detail.runs} />
      <Decide detail={detail} onDecided={setDecided} />
      <StartSession detail={detail} />
    </article>
  );
}

function Stamp({ detail }: { detail: PrdDetail }) {
  const d = detail.decision;
  return (
    <div className="stamp" data-testid="prd-stamp">
      {detail.status === 'void' ? (
        <p className="callout callout-warn" data-testid="prd-void">
          ⚠ approval void: {detail.voidReason ?? 'the PRD or one of its stories changed after approval'}. Read it again
          and approve the new content to run it.
        </p>
      ) : null}
      {detail.approvalProblem ? (
        <p className="callout callout-warn" data-testid="prd-approval-problem">
          ⚠ {detail.approvalProblem}
        </p>
      ) : null}
      {d ? (
        <p className={d.decision === 'approved' ? 'tone-ok' : 'tone-bad'}>
          {d.decision === 'approved' ? '✓ Approved' : '✕ Rejected'} by <strong>{d.by}</strong>
          {d.name ? <span> (as “{d.name}”)</span> : null} on {dateTime(d.at)} · content hash{' '}
          <span className="mono" title={d.contentHash}>
            {d.contentHash.slice(0, 12)}
          </span>
          {d.comment ? <span> · “{d.comment}”</span> : null}
          {detail.status === 'void' ? <span className="muted"> (no longer valid)</span> : null}
        </p>
      ) : (
        <p className="muted">No decision yet: read the PRD and its stories, then approve or reject it below.</p>
      )}
    </div>
  );
}

const argvText = (argv: readonly string[]) =>
  argv.map((a) => (/^[\w@%+=:,./{}-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');

/** Everything approving the PRD lets run, as text (never markup): commands and the environment names the agent gets. */
function Runs({ runs }: { runs: AuthorisedRuns }) {
  const env = runs.agent.env;
  return (
    <section className="card prd-runs" aria-label="What approving lets run" data-testid="prd-runs">
      <h3>What approving lets run</h3>
      {runs.problem ? (
        <p className="callout callout-warn" data-testid="prd-runs-problem">
          {runs.problem}
        </p>
      ) : null}
      <dl className="runs-list">
        <dt>Agent preset</dt>
        <dd data-testid="prd-runs-agent-preset">
          <strong>{runs.agent.preset}</strong>{' '}
          <span className="small muted">
            (the approval is for this preset only; another one needs its own approval)
          </span>
        </dd>
        <dt>Agent command (argument template)</dt>
        <dd className="mono" data-testid="prd-runs-agent">
          {runs.agent.argv.length ? argvText(runs.agent.argv) : 'no command configured'}
          {runs.agent.stdin ? ` < ${runs.agent.stdin}` : ''}
        </dd>
        <dt>Environment the agent and commands see</dt>
        <dd data-testid="prd-runs-env">
          <span className="mono small">{env.base.join(' ')}</span>
          {env.preset.length ? (
            <>
              <br />
              preset {runs.agent.preset} (agent only): <span className="mono small">{env.preset.join(', ')}</span>
            </>
          ) : null}
          <br />
          agent.env.pass: <span className="mono">{env.pass.join(', ') || 'none'}</span> · agent.env.set:{' '}
          <span className="mono">{env.set.join(', ') || 'none'}</span>
        </dd>
        <dt>Worktree setup</dt>
        <dd className="mono">{runs.setup ? argvText(runs.setup) : 'none'}</dd>
        <dt>QA</dt>
        <dd data-testid="prd-runs-qa">
          {runs.qa.length === 0 ? 'none' : null}
          {runs.qa.map((c) => (
            <div key={c.name}>
              {c.name}: <span className="mono">{argvText(c.argv)}</span>
            </div>
          ))}
        </dd>
        <dt>Validation</dt>
        <dd data-testid="prd-runs-validation">
          {runs.validation.length === 0 ? 'none' : null}
          {runs.validation.flatMap((v) =>
            v.commands.map((c, i) => (
              <div key={`${v.storyId}-${i}`}>
                <span className="mono">{v.storyId}</span>: <span className="mono">{argvText(c)}</span>
              </div>
            )),
          )}
        </dd>
      </dl>
      <p className="small muted">
        {runs.configFile ? `From ${runs.configFile} and the stories. ` : ''}Changing any of these after approval voids
        it.
      </p>
    </section>
  );
}

function Forecast({ detail }: { detail: PrdDetail }) {
  const f = detail.forecast;
  return (
    <p className="forecast" data-testid="prd-forecast">
      <strong>Forecast:</strong> {f.costUsd !== null ? usd(f.costUsd) : 'cost unknown'} ·{' '}
      {f.minutes !== null ? `${f.minutes} min` : 'time unknown'} · {plural(detail.storyCount, 'story', 'stories')} in{' '}
      {plural(detail.waves.length, 'wave')} <span className="muted small">— {f.basis}</span>
    </p>
  );
}

function Decide({ detail, onDecided }: { detail: PrdDetail; onDecided: (d: PrdDetail) => void }) {
  const [by, setBy] = useState(() => {
    try {
      return localStorage.getItem(APPROVER_KEY) ?? '';
    } catch {
      return '';
    }
  });
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const act = async (decision: 'approve' | 'reject') => {
    setError(null);
    const name = by.trim();
    if (!name) return setError('Type your name first: a decision records who made it.');
    if (decision === 'reject' && !comment.trim())
      return setError('Say why in the comment: a rejection needs one, so the author knows what to change.');
    try {
      localStorage.setItem(APPROVER_KEY, name);
    } catch {
      // Not remembered; nothing else depends on it.
    }
    setBusy(true);
    const res =
      decision === 'approve'
        ? await api.prd.approve({
            prdId: detail.id,
            by: name,
            contentHash: detail.contentHash,
            runsHash: detail.runsHash,
            ...(comment.trim() ? { comment: comment.trim() } : {}),
          })
        : await api.prd.reject({ prdId: detail.id, by: name, comment: comment.trim() });
    setBusy(false);
    if (res.ok) {
      setComment('');
      onDecided(res.value);
    } else setError(describeError(`${decision} ${detail.id}`, res.error));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act('approve');
  };
  // A decision stands until the content changes: then it is void and a new one can be made.
  const final = (detail.status === 'approved' && !detail.approvalProblem) || detail.status === 'rejected';
  return (
    <form className="decide card" onSubmit={submit} aria-label="Approve or reject" data-testid="prd-decide">
      <h3>Decision</h3>
      <p className="small muted">
        You approve exactly the content shown (hash <span className="mono">{detail.contentHash.slice(0, 12)}</span>, as
        of {dateTime(detail.updatedAt)}) and the commands listed above (hash{' '}
        <span className="mono">{detail.runsHash.slice(0, 12)}</span>); any later change to the PRD, its stories or those
        commands voids the approval, and this page shows the new content as soon as it changes.
      </p>
      <div className="form-row">
        <label className="field">
          <span>Your name (shown beside the decision; the record holds this computer's user)</span>
          <input
            className="input"
            value={by}
            onChange={(e) => setBy(e.target.value)}
            maxLength={200}
            required
            data-testid="prd-by"
            autoComplete="name"
          />
        </label>
        <label className="field grow">
          <span>Comment (optional to approve, required to reject)</span>
          <textarea
            className="input"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            maxLength={4000}
            rows={2}
            data-testid="prd-comment"
          />
        </label>
      </div>
      {error ? (
        <p className="callout callout-bad" role="alert" data-testid="prd-error">
          {error}
        </p>
      ) : null}
      {final ? (
        <p className="small muted" data-testid="prd-final">
          This PRD is {detail.status}. A new decision is possible once the PRD or one of its stories changes: fix it and
          import it again.
        </p>
      ) : null}
      <div className="dialog-actions">
        <button
          type="button"
          className="btn"
          disabled={busy || final}
          onClick={() => void act('reject')}
          data-testid="prd-reject"
        >
          ✕ Reject
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy || final} data-testid="prd-approve">
          {detail.status === 'approved' ? '✓ Approved' : '✓ Approve this content'}
        </button>
      </div>
    </form>
  );
}

function StartSession({ detail }: { detail: PrdDetail }) {
  const settings = useAppStore((s) => s.settings);
  const session = useAppStore((s) => s.session);
  const [budget, setBudget] = useState<string>(() => (settings?.budgetUsd != null ? String(settings.budgetUsd) : ''));
  const [concurrency, setConcurrency] = useState<string>(() => String(settings?.concurrency ?? 4));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fleetChosen, setFleetChosen] = useState(false);
  const onFleet = useAppStore((s) => fleetChosen && !fleetUnavailableIn(s.health));
  const budgetNum = Number(budget);
  const concNum = Number(concurrency);
  const running = session && isActiveSession(session.status) ? session : null;

  let blocked: string | null = null;
  if (detail.approvalProblem)
    blocked = 'The approval no longer covers what would run: read the commands again and approve them.';
  else if (detail.status !== 'approved')
    blocked =
      detail.status === 'void'
        ? 'The approval is void: approve the current content first.'
        : 'Approve this PRD first: nothing that costs money starts without an approved PRD.';
  else if (!budget.trim() || !Number.isFinite(budgetNum) || budgetNum <= 0)
    blocked = 'Set a budget in US dollars greater than $0: the session stops when it is spent.';
  else if (!Number.isInteger(concNum) || concNum < 1 || concNum > 64)
    blocked = 'Concurrency must be a whole number from 1 to 64.';
  else if (running) blocked = `Session ${shortId(running.id)} is ${running.status}: stop it or let it finish first.`;

  const start = async () => {
    if (blocked) return;
    setBusy(true);
    setError(null);
    const res = await api.session.start({
      prdId: detail.id,
      budgetUsd: budgetNum,
      concurrency: concNum,
      ...(onFleet ? { fleet: true } : {}),
    });
    setBusy(false);
    if (res.ok) ui.go('waves');
    else setError(describeError(`start a session for ${detail.id}`, res.error));
  };
  return (
    <section className="card start-session" aria-label="Start a session" data-testid="start-session">
      <h3>Run it</h3>
      <div className="form-row">
        <BudgetField label="Budget (USD)" value={budget} onChange={setBudget} testId="start-budget" />
        <StoriesInParallelField value={concurrency} onChange={setConcurrency} testId="start-concurrency" />
        <p className="small muted">
          agent preset: <strong>{detail.runs.agent.preset}</strong>{' '}
          {settings?.agentPreset ? '(chosen in Settings)' : '(as wave.config.json says)'}{' '}
          <button type="button" className="link-button" onClick={() => ui.go('settings')}>
            change in Settings
          </button>
          <br />
          forecast: {detail.forecast.costUsd !== null ? usd(detail.forecast.costUsd) : 'unknown'}
          {detail.forecast.costUsd !== null && budgetNum > 0 && detail.forecast.costUsd > budgetNum ? (
            <strong className="tone-warn"> — above this budget</strong>
          ) : null}
        </p>
      </div>
      <RunOnFleet checked={fleetChosen} onChange={setFleetChosen} />
      {blocked ? (
        <p className="small tone-warn" data-testid="start-blocked">
          {blocked}
        </p>
      ) : null}
      {error ? (
        <p className="callout callout-bad" role="alert" data-testid="start-error">
          {error}
        </p>
      ) : null}
      <button
        type="button"
        className="btn btn-primary"
        disabled={!!blocked || busy}
        onClick={() => void start()}
        data-testid="start-button"
      >
        ▶ Start session{onFleet ? ' on the fleet' : ''}
        {!blocked ? ` · budget ${usd(budgetNum)}` : ''}
      </button>
    </section>
  );
}
