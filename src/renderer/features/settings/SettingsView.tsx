import { useAppStore } from '../../state/app-store';

export function SettingsView() {
  const info = useAppStore((s) => s.info);
  const health = useAppStore((s) => s.health);
  const resyncs = useAppStore((s) => s.resyncs);
  if (!info || !health) return <p className="muted">Loading settings…</p>;
  const rows: Array<[string, string]> = [
    ['Version', info.version],
    ['Data directory', info.dataDir],
    ['Transport', info.transport === 'electron' ? 'Electron IPC (desktop)' : 'WebSocket bridge (wave serve)'],
    ['Store', `${health.store.kind} — ${health.store.status}: ${health.store.detail}`],
    ['Event bus', `${health.events.kind} — ${health.events.status}: ${health.events.detail}`],
    ['Why this event bus', health.events.reason],
    ['Core process', `pid ${info.pid} on ${info.platform}, up since ${new Date(info.startedAt).toLocaleString()}`],
    ['Snapshot re-fetches after a missed event', String(resyncs)],
  ];
  return (
    <section>
      <h2>Settings</h2>
      <dl className="settings" data-testid="settings">
        {rows.map(([k, v]) => (
          <div key={k} className="settings-row">
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
