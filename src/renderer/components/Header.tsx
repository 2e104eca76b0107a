import { useAppStore } from '../state/app-store';
import { HealthBadge } from './HealthBadge';
import { StopButton } from './StopButton';

function ms(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
}

export function Header() {
  const health = useAppStore((s) => s.health);
  const connection = useAppStore((s) => s.connection);
  const connectionDetail = useAppStore((s) => s.connectionDetail);
  const error = useAppStore((s) => s.error);
  return (
    <header className="header">
      <div className="header-row">
        <span className="brand">WAVE</span>
        <span className="header-item" data-testid="session-state">project: none · no session running</span>
        <span className="header-item" data-testid="budget">spend: $0.00 / no budget set</span>
        <span className="spacer" />
        <StopButton />
      </div>
      <div className="header-row header-health" aria-live="polite">
        {health ? (
          <>
            <HealthBadge label="store" kind={health.store.kind} status={health.store.status} detail={health.store.detail} extra={ms(health.store.latencyMs)} testId="health-store" />
            <HealthBadge
              label="events"
              kind={health.events.kind}
              status={health.events.status}
              detail={`${health.events.detail} (${health.events.reason})`}
              extra={`${ms(health.events.p99Ms)} p99`}
              testId="health-events"
            />
          </>
        ) : (
          <span className="muted">{error ?? 'loading health…'}</span>
        )}
        <span className={`connection connection-${connection}`} data-testid="connection">
          {connection === 'open' ? 'connected' : connectionDetail}
        </span>
      </div>
    </header>
  );
}
