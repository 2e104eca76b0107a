import { useEffect, useState } from 'react';
import type { FleetWorkerState, FleetWorkerView } from '../../../shared/ipc/fleet';
import { api } from '../../api/client';
import { describeError } from '../../lib/errors';
import { plural } from '../../lib/format';
import { useAppStore } from '../../state/app-store';

const STATE: Record<FleetWorkerState, { text: string; tone: string }> = {
  taking: { text: 'taking work', tone: 'ok' },
  drain_requested: { text: 'drain asked', tone: 'warn' },
  draining: { text: 'draining', tone: 'warn' },
  drained: { text: 'drained', tone: 'muted' },
  silent: { text: 'silent: no heartbeat', tone: 'bad' },
};

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/**
 * The fleet: every `wave worker` of the shared store with its host, pid, version, story runs,
 * heartbeat, CPU, memory and agents, kept live by `fleet.changed` (pushed when a worker
 * heartbeats, is drained or turns silent); Drain / Take work again per worker.
 */
export function FleetView() {
  const fleet = useAppStore((s) => s.fleet);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    // The first picture; pushes keep it current from then on.
    void api.fleet.workers({}).then((res) => {
      if (res.ok) useAppStore.setState((s) => (s.fleet ? {} : { fleet: res.value }));
      else setError(describeError('read the fleet', res.error));
    });
  }, []);

  const drain = async (w: FleetWorkerView, draining: boolean) => {
    setBusy(w.id);
    setError(null);
    const res = await api.fleet.drain({ worker: w.id, draining });
    setBusy(null);
    if (res.ok) useAppStore.setState({ fleet: res.value });
    else setError(describeError(`${draining ? 'drain' : 'resume'} worker ${w.name}`, res.error));
  };

  const workers = fleet?.workers ?? [];
  return (
    <section className="card" aria-label="Fleet" data-testid="fleet-view">
      <h2>Fleet</h2>
      {error ? <p className="callout callout-bad">{error}</p> : null}
      {!fleet ? (
        <p className="muted small">Reading the workers…</p>
      ) : workers.length === 0 ? (
        <p className="muted" data-testid="fleet-empty">
          No worker is running. Start one on each machine with <span className="mono">wave worker --work-dir DIR</span>,
          with the same DATABASE_URL and REDIS_URL as this window; then run a session with{' '}
          <span className="mono">wave run --fleet</span> or &quot;Run on the fleet&quot; beside Start (PRD view).
        </p>
      ) : (
        <table className="table" data-testid="fleet-table">
          <caption className="muted small">
            {plural(workers.length, 'worker')},{' '}
            {plural(
              workers.reduce((n, w) => n + w.storyRuns.length, 0),
              'story run',
            )}{' '}
            running,{' '}
            {plural(
              workers.reduce((n, w) => n + w.agentsAlive, 0),
              'agent',
            )}{' '}
            alive
          </caption>
          <thead>
            <tr>
              <th>Worker</th>
              <th>Host</th>
              <th>PID</th>
              <th>Version</th>
              <th>Story runs</th>
              <th>Heartbeat</th>
              <th>CPU</th>
              <th>Memory</th>
              <th>Agents</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {workers.map((w) => (
              <tr key={w.id} data-testid="fleet-worker" data-worker={w.name} data-state={w.state}>
                <td className="mono">{w.name}</td>
                <td>{w.host}</td>
                <td className="mono">{w.pid}</td>
                <td className="mono">{w.version}</td>
                <td title={w.storyRuns.join('\n') || 'none'} data-testid="fleet-runs">
                  {w.storyRuns.length} / {w.concurrency}
                </td>
                <td>{(w.heartbeatAgeMs / 1000).toFixed(1)} s ago</td>
                <td title="1-minute load average per core">{w.cpu.toFixed(2)}</td>
                <td>{mb(w.memoryBytes)}</td>
                <td data-testid="fleet-agents">{w.agentsAlive}</td>
                <td className={`tone-${STATE[w.state].tone}`} data-testid="fleet-state">
                  {STATE[w.state].text}
                </td>
                <td>
                  {w.draining ? (
                    <button
                      type="button"
                      className="btn btn-small"
                      disabled={busy === w.id}
                      onClick={() => void drain(w, false)}
                    >
                      Take work again
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="btn btn-small"
                      disabled={busy === w.id || w.state === 'silent'}
                      title="Finishes its story runs and takes no more"
                      data-testid="fleet-drain"
                      onClick={() => void drain(w, true)}
                    >
                      Drain
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
