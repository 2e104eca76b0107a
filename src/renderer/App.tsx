import type { ReactElement } from 'react';
import { useEffect, useState } from 'react';
import { Header } from './components/Header';
import { Nav, VIEWS, type ViewId } from './components/Nav';
import { ChartsView } from './features/charts/ChartsView';
import { ImportView } from './features/import/ImportView';
import { PrdView } from './features/prd/PrdView';
import { RecoveryView } from './features/recovery/RecoveryView';
import { SettingsView } from './features/settings/SettingsView';
import { TimelineView } from './features/timeline/TimelineView';
import { WavesView } from './features/waves/WavesView';

const RENDERERS: Record<ViewId, () => ReactElement> = {
  waves: WavesView,
  timeline: TimelineView,
  charts: ChartsView,
  import: ImportView,
  prd: PrdView,
  recovery: RecoveryView,
  settings: SettingsView,
};

export function App() {
  const [view, setView] = useState<ViewId>('waves');
  useEffect(() => {
    // Alt+1…7 switches views, so the whole app works from the keyboard.
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const idx = Number(e.key) - 1;
      const target = VIEWS[idx];
      if (target) {
        e.preventDefault();
        setView(target.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const View = RENDERERS[view];
  return (
    <div className="app">
      <Header />
      <div className="body">
        <Nav current={view} onSelect={setView} />
        <main className="view" aria-label={VIEWS.find((v) => v.id === view)?.label}>
          <View />
        </main>
      </div>
    </div>
  );
}
