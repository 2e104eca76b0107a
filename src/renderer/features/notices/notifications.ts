import { create } from 'zustand';
import { NOTICE_GLYPH } from '../../../shared/ipc/notice-glyphs';
import { api } from '../../api/client';
import { useAppStore } from '../../state/app-store';

export type Permission = NotificationPermission | 'unsupported' | 'desktop-app';

function currentPermission(): Permission {
  if (api.transport === 'electron') return 'desktop-app';
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.permission;
}

export const useNotificationStore = create<{ permission: Permission }>(() => ({ permission: currentPermission() }));

/** Must be called from a click: browsers ignore (or penalise) permission prompts without a user gesture. */
export async function requestNotificationPermission(): Promise<void> {
  if (typeof Notification === 'undefined' || api.transport === 'electron') return;
  try {
    const p = await Notification.requestPermission();
    useNotificationStore.setState({ permission: p });
  } catch {
    useNotificationStore.setState({ permission: currentPermission() });
  }
}

/**
 * Shows each new `notice` as a browser notification in headless mode, when the lead
 * allowed it. The desktop app shows them from the main process instead (Electron's
 * Notification); the in-app toast list shows them in both.
 */
export function startBrowserNotifications(): () => void {
  let lastId = 0;
  return useAppStore.subscribe((state, prev) => {
    if (state.notices === prev.notices) return;
    const fresh = state.notices.filter((n) => n.id > lastId);
    if (fresh.length === 0) return;
    lastId = Math.max(lastId, ...fresh.map((n) => n.id));
    if (api.transport === 'electron' || typeof Notification === 'undefined' || Notification.permission !== 'granted')
      return;
    for (const n of fresh.slice(0, 3).reverse()) {
      try {
        const shown = new Notification(`${NOTICE_GLYPH[n.kind]} ${n.title}`, {
          body: n.body,
          tag: `wave-${n.kind}-${n.sessionId ?? 'app'}`,
        });
        shown.onclick = () => window.focus();
      } catch {
        // Some browsers allow notifications only from a service worker; the toast still shows.
      }
    }
  });
}
