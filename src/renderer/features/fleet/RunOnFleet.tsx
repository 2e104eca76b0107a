import { useEffect } from 'react';
import { fleetUnavailable } from '../../../shared/ipc/fleet';
import type { AppHealth } from '../../../shared/ipc/schemas';
import { api } from '../../api/client';
import { CheckboxField } from '../../components/CheckboxField';
import { plural } from '../../lib/format';
import { useAppStore } from '../../state/app-store';
import { ui } from '../../state/ui-store';

/** Why this window cannot start a session on the fleet (from its health: store and bus), or null. */
export function fleetUnavailableIn(health: AppHealth | null): string | null {
  if (!health) return 'Reading which store and event bus this window runs on…';
  const reason = fleetUnavailable({
    postgres: health.store.kind === 'postgres',
    redis: health.events.kind === 'redis',
  });
  if (!reason) return null;
  return health.events.kind === 'redis' ? reason : `${reason} (events: ${health.events.reason})`;
}

/**
 * "Run on the fleet" beside Start: enabled when the window runs on Postgres and Redis (else
 * disabled, with the reason); shows how many workers take work now (fleet.workers once, then
 * fleet.changed) and warns when none does.
 */
export function RunOnFleet(props: { checked: boolean; onChange: (checked: boolean) => void }) {
  const health = useAppStore((s) => s.health);
  const fleet = useAppStore((s) => s.fleet);
  const unavailable = fleetUnavailableIn(health);

  useEffect(() => {
    if (unavailable || fleet) return;
    // The first picture; pushes keep it current from then on.
    void api.fleet.workers({}).then((res) => {
      if (res.ok) useAppStore.setState((s) => (s.fleet ? {} : { fleet: res.value }));
    });
  }, [unavailable, fleet]);

  const taking = fleet?.workers.filter((w) => w.state === 'taking').length ?? null;
  return (
    <div className="run-on-fleet" data-testid="run-on-fleet">
      <CheckboxField
        label="Run on the fleet"
        checked={props.checked && !unavailable}
        disabled={!!unavailable}
        onChange={props.onChange}
        testId="start-fleet"
      />
      {unavailable ? (
        <p className="small muted" data-testid="start-fleet-reason">
          {unavailable}
        </p>
      ) : taking === null ? (
        <p className="small muted">Reading the workers…</p>
      ) : taking === 0 ? (
        <p className="small tone-warn" data-testid="start-fleet-workers" data-taking="0">
          No worker is taking work: story runs wait in the queue until one does. Start{' '}
          <span className="mono">wave worker --work-dir DIR</span> with this window&apos;s DATABASE_URL and REDIS_URL (
          <button type="button" className="link-button" onClick={() => ui.go('fleet')}>
            Fleet, Alt+8
          </button>
          ).
        </p>
      ) : (
        <p className="small muted" data-testid="start-fleet-workers" data-taking={taking}>
          {plural(taking, 'worker')} taking work{' '}
          <button type="button" className="link-button" onClick={() => ui.go('fleet')}>
            (Fleet, Alt+8)
          </button>
          ; stories land on the project&apos;s project.remote.
        </p>
      )}
    </div>
  );
}
