import { BrowserWindow, Notification } from 'electron';
import type { EventEnvelope, EventOf } from '../../shared/ipc';
import type { AppCore } from '../core/app-core';
import { NOTICE_GLYPH } from '../../shared/ipc/notice-glyphs';

type Notice = EventOf<'notice'>;

const CRITICAL: ReadonlySet<Notice['kind']> = new Set(['escalation', 'budget_exceeded', 'failed']);

/**
 * Shows the core's `notice` events (escalations, budget warnings, stops, completion) as
 * system notifications; clicking one brings the window forward. The renderer shows the
 * same notices in its own list, so nothing is lost where the OS hides notifications.
 * Returns the function that stops it.
 */
export function showNoticesAsNotifications(core: AppCore): () => void {
  if (!Notification.isSupported()) return () => {};
  // Keep a reference until each is closed: a garbage-collected Notification loses its click handler.
  const open = new Set<Notification>();
  const unsubscribe = core.hub.subscribe((envelope: EventEnvelope) => {
    if (envelope.name !== 'notice') return;
    const notice = envelope.payload as Notice;
    const n = new Notification({
      title: `${NOTICE_GLYPH[notice.kind]} ${notice.title}`,
      body: notice.body,
      urgency: CRITICAL.has(notice.kind) ? 'critical' : 'normal',
    });
    open.add(n);
    n.on('click', () => {
      const win = BrowserWindow.getAllWindows()[0];
      if (win) {
        if (win.isMinimized()) win.restore();
        win.focus();
      }
    });
    n.on('close', () => open.delete(n));
    n.show();
  });
  return () => {
    unsubscribe();
    for (const n of open) n.close();
    open.clear();
  };
}
