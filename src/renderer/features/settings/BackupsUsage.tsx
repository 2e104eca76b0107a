import { useEffect, useState } from 'react';
import type { BackupsView } from '../../../shared/ipc/contract';
import { api } from '../../api/client';
import { describeError } from '../../lib/errors';

function bytes(n: number | null): string {
  if (n === null) return 'an unknown amount of disk';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The snapshots of earlier work the project repository holds, their disk, and how they are pruned. */
export function BackupsUsage({ projectPath }: { projectPath: string | null }) {
  const [view, setView] = useState<BackupsView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!projectPath) return;
    let cancelled = false;
    void api.backups.list({}).then((res) => {
      if (cancelled) return;
      if (res.ok) setView(res.value);
      else setError(describeError('read the snapshots of earlier work', res.error));
    });
    return () => {
      cancelled = true;
    };
  }, [projectPath]);
  if (!projectPath) return null;
  return (
    <section className="card" aria-label="Earlier work" data-testid="backups-usage">
      <h3>Earlier work</h3>
      {error ? <p className="callout callout-bad">{error}</p> : null}
      {view ? (
        <p className="small">
          {view.disk.count} snapshot{view.disk.count === 1 ? '' : 's'} of story work (taken before any reset, clean-up,
          restart or skip) holding {bytes(view.disk.bytes)} in <span className="mono">{view.repoPath}</span>. Kept{' '}
          {view.retention.keepDays} days and {view.retention.keepPerStory} per story (
          <span className="mono">backups</span> in wave.config.json); pruning happens only when you run{' '}
          <span className="mono">wave backups --prune</span>.
        </p>
      ) : error ? null : (
        <p className="muted small">Reading the snapshots…</p>
      )}
    </section>
  );
}
