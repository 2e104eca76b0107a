import { requestNotificationPermission, useNotificationStore } from './notifications';

const TEXT: Record<string, string> = {
  'desktop-app': 'The desktop app shows escalations, budget warnings, stops and completion as system notifications.',
  granted: 'Browser notifications are on for escalations, budget warnings, stops and completion.',
  denied:
    'The browser blocks notifications for this page: allow them in the site settings (lock icon in the address bar). Notices still appear in the app.',
  default:
    'Get a browser notification for escalations, budget warnings, stops and completion, even when this tab is in the background.',
  unsupported: 'This browser has no notifications; notices appear in the app only.',
};

export function NotificationSettings() {
  const permission = useNotificationStore((s) => s.permission);
  return (
    <section className="card" aria-label="Notifications" data-testid="notification-settings">
      <h3>Notifications</h3>
      <p className="small">{TEXT[permission]}</p>
      {permission === 'default' ? (
        <button
          type="button"
          className="btn"
          onClick={() => void requestNotificationPermission()}
          data-testid="enable-notifications"
        >
          Enable browser notifications
        </button>
      ) : null}
    </section>
  );
}
