import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { startBrowserNotifications } from './features/notices/notifications';
import { applyTheme, onOsThemeChange, themeSaved } from './lib/theme';
import { startSync } from './state/sync';
import { useUiStore } from './state/ui-store';
import './styles.css';

applyTheme(useUiStore.getState().theme, false);
// Until the lead picks a theme, follow the OS when it switches.
onOsThemeChange((theme) => {
  if (themeSaved()) return;
  applyTheme(theme, false);
  useUiStore.setState({ theme });
});
startBrowserNotifications();
startSync();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
