import { clock } from '../../lib/format';
import { useAppStore } from '../../state/app-store';
import { ui, useUiStore } from '../../state/ui-store';
import { NOTICE_GLYPH } from '../../../shared/ipc/notice-glyphs';

const MAX_SHOWN = 5;

/** In-app notices (escalations, budget, stop, completion): always shown, whatever the OS allows. */
export function Toasts() {
  const notices = useAppStore((s) => s.notices);
  const dismissed = useUiStore((s) => s.dismissed);
  const open = notices.filter((n) => !dismissed.has(n.id));
  return (
    <div className="toasts" role="region" aria-label="Notifications" aria-live="polite" data-testid="toasts">
      {open.slice(0, MAX_SHOWN).map((n) => (
        <div
          key={n.id}
          className={`toast toast-${n.kind}`}
          role={n.kind === 'escalation' || n.kind === 'budget_exceeded' || n.kind === 'failed' ? 'alert' : 'status'}
          data-testid="toast"
          data-kind={n.kind}
        >
          <div className="toast-head">
            <strong>
              <span aria-hidden="true">{NOTICE_GLYPH[n.kind]}</span> {n.title}
            </strong>
            <span className="muted small">{clock(n.at)}</span>
            <button
              type="button"
              className="btn btn-small"
              onClick={() => ui.dismissNotice(n.id)}
              aria-label={`Dismiss: ${n.title}`}
            >
              ✕
            </button>
          </div>
          <div className="small">{n.body}</div>
        </div>
      ))}
      {open.length > MAX_SHOWN ? (
        <button type="button" className="btn btn-small" onClick={() => ui.dismissNotices(open.map((n) => n.id))}>
          Dismiss all {open.length}
        </button>
      ) : null}
    </div>
  );
}
