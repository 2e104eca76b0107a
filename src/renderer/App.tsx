import { lazy, Suspense, useEffect, type ComponentType } from 'react';
import { Header } from './components/Header';
import { Nav, VIEWS, type ViewId } from './components/Nav';
import { collectFromDataTransfer } from './features/import/collect-files';
import { importCollected } from './features/import/import-store';
import { ImportView } from './features/import/ImportView';
import { Toasts } from './features/notices/Toasts';
import { FleetView } from './features/fleet/FleetView';
import { RecoveryBanner, RecoveryView } from './features/recovery/RecoveryView';
import { SettingsView } from './features/settings/SettingsView';
import { TimelineView } from './features/timeline/TimelineView';
import { WavesView } from './features/waves/WavesView';
import { ui, useUiStore } from './state/ui-store';

// Charts (recharts) and the PRD view (marked, DOMPurify) are loaded when first opened:
// they are most of the code, and the board should be on screen before they are parsed.
const ChartsView = lazy(() => import('./features/charts/ChartsView').then((m) => ({ default: m.ChartsView })));
const PrdView = lazy(() => import('./features/prd/PrdView').then((m) => ({ default: m.PrdView })));

const RENDERERS: Record<ViewId, ComponentType> = {
  waves: WavesView,
  timeline: TimelineView,
  charts: ChartsView,
  import: ImportView,
  prd: PrdView,
  recovery: RecoveryView,
  settings: SettingsView,
  fleet: FleetView,
};

const hasFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes('Files');

export function App() {
  const view = useUiStore((s) => s.view);
  useEffect(() => {
    // Alt+1…8 switches views, so the whole app works from the keyboard.
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const idx = Number(e.key) - 1;
      const target = VIEWS[idx];
      if (target) {
        e.preventDefault();
        ui.go(target.id);
      }
    };
    // Files dropped anywhere on the window are imported (the Import view's drop zone
    // handles its own drops); without this the browser would open the file instead.
    const onDragOver = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const onDrop = (e: DragEvent) => {
      if (!hasFiles(e) || !e.dataTransfer) return;
      e.preventDefault();
      ui.go('import');
      void collectFromDataTransfer(e.dataTransfer).then(importCollected);
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('drop', onDrop);
    };
  }, []);
  const View = RENDERERS[view];
  return (
    <div className="app">
      <Header />
      <RecoveryBanner />
      <div className="body">
        <Nav current={view} onSelect={ui.go} />
        <main className="view" aria-label={VIEWS.find((v) => v.id === view)?.label} data-view={view}>
          <Suspense fallback={<p className="muted">Loading {view}…</p>}>
            <View />
          </Suspense>
        </main>
      </div>
      <Toasts />
    </div>
  );
}
