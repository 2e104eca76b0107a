import { api } from '../api/client';
import { budgetLevel, shownBudget } from '../lib/budget';
import { ms, plural, shortId, usd } from '../lib/format';
import { useAppStore } from '../state/app-store';
import { ui, useUiStore } from '../state/ui-store';
import { HealthBadge } from './HealthBadge';
import { StopButton } from './StopButton';

export function Header() {
  const health = useAppStore((s) => s.health);
  const connection = useAppStore((s) => s.connection);
  const connectionDetail = useAppStore((s) => s.connectionDetail);
  const error = useAppStore((s) => s.error);
  const settings = useAppStore((s) => s.settings);
  const session = useAppStore((s) => s.session);
  const theme = useUiStore((s) => s.theme);

  const project = session?.projectName ?? settings?.projectName ?? null;
  // metrics.tick carries the session's spend every second; session.changed only on state changes.
  const tickedSpend = useAppStore((s) => {
    if (!s.session) return 0;
    for (let i = s.ticks.length - 1; i >= 0; i--)
      if (s.ticks[i]!.sessionId === s.session.id) return s.ticks[i]!.costUsd;
    return 0;
  });
  const spent = Math.max(session?.costUsd ?? 0, tickedSpend);
  const budget = shownBudget(session, settings).usd;
  const level = budgetLevel(spent, budget);
  const sessionText = session
    ? `session ${shortId(session.id)} · ${session.status}${session.currentWave !== null ? ` · wave ${session.currentWave}/${session.waveCount}` : session.waveCount ? ` · ${plural(session.waveCount, 'wave')}` : ''}`
    : 'no session yet';

  return (
    <header className="header">
      {/* Facts on the left (they may wrap inside their own column); STOP in a fixed column of its own, top right at every width. */}
      <div className="header-row header-main" data-testid="header-main">
        <div className="header-facts">
          <span className="brand">WAVE</span>
          <span className="header-item" data-testid="header-project">
            project:{' '}
            {project ? (
              <strong title={settings?.projectPath ?? undefined}>{project}</strong>
            ) : (
              <button type="button" className="link-button" onClick={() => ui.go('settings')}>
                none — set it in Settings
              </button>
            )}
          </span>
          <span className={`header-item session-${session?.status ?? 'none'}`} data-testid="session-state">
            {sessionText}
          </span>
          <span
            className={`header-item budget budget-${level.level}`}
            data-testid="budget"
            title="Spend of the current session against its budget"
          >
            {level.level === 'over' ? '⚠ ' : level.level === 'warn' ? '◐ ' : ''}
            {usd(spent)} / {budget !== null ? usd(budget) : 'no budget'} · {level.text}
          </span>
        </div>
        <StopButton />
      </div>
      <div className="header-row header-health" aria-live="polite">
        {health ? (
          <>
            <HealthBadge
              label="store"
              kind={health.store.kind}
              status={health.store.status}
              detail={health.store.detail}
              extra={ms(health.store.latencyMs)}
              testId="health-store"
            />
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
          {connection === 'open'
            ? 'connected'
            : `⚠ ${connectionDetail} — what you see may be out of date${api.transport === 'websocket' ? '. If wave serve was restarted, open the new address it printed.' : ''}`}
        </span>
        <span className="spacer" />
        <button
          type="button"
          className="btn btn-small"
          onClick={ui.toggleTheme}
          data-testid="theme-toggle"
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        >
          {theme === 'dark' ? '☀ light theme' : '☾ dark theme'}
        </button>
      </div>
    </header>
  );
}
