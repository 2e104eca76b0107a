import { create } from 'zustand';
import type { ViewId } from '../components/Nav';
import { applyTheme, initialTheme, type Theme } from '../lib/theme';

/** What the lead is looking at; never anything the core owns. */
export interface UiState {
  view: ViewId;
  /** Story run open in the detail drawer (board or timeline). */
  storyRunId: string | null;
  /** Gate run open in the gate detail (with its log tail). */
  gateRunId: number | null;
  /**
   * Story run whose changes panel is open. Kept here, not in the drawer, so the panel stays
   * open when the drawer re-mounts (a reconnect's snapshot, a switch between board and timeline).
   */
  changesStoryRunId: string | null;
  /** PRD open in the PRD view. */
  prdId: string | null;
  theme: Theme;
  stopDialogOpen: boolean;
  /** Notices the lead dismissed from the toast list, by local id. */
  dismissed: ReadonlySet<number>;
  /** Interrupted sessions whose banner the lead closed for this window. */
  bannerHidden: ReadonlySet<string>;
}

export const useUiStore = create<UiState>(() => ({
  view: 'waves',
  storyRunId: null,
  gateRunId: null,
  changesStoryRunId: null,
  prdId: null,
  theme: typeof window === 'undefined' ? 'dark' : initialTheme(),
  stopDialogOpen: false,
  dismissed: new Set<number>(),
  bannerHidden: new Set<string>(),
}));

export const ui = {
  go(view: ViewId): void {
    useUiStore.setState({ view });
  },
  openStory(storyRunId: string | null): void {
    useUiStore.setState((s) => ({
      storyRunId,
      gateRunId: null,
      changesStoryRunId: s.changesStoryRunId === storyRunId ? s.changesStoryRunId : null,
    }));
  },
  openChanges(storyRunId: string | null): void {
    useUiStore.setState({ changesStoryRunId: storyRunId });
  },
  openGate(gateRunId: number | null, storyRunId?: string): void {
    useUiStore.setState((s) => ({ gateRunId, storyRunId: storyRunId ?? s.storyRunId }));
  },
  openPrd(prdId: string | null): void {
    useUiStore.setState({ prdId, view: 'prd' });
  },
  toggleTheme(): void {
    const next: Theme = useUiStore.getState().theme === 'dark' ? 'light' : 'dark';
    applyTheme(next, true);
    useUiStore.setState({ theme: next });
  },
  setStopDialog(open: boolean): void {
    useUiStore.setState({ stopDialogOpen: open });
  },
  dismissNotice(id: number): void {
    useUiStore.setState((s) => ({ dismissed: new Set([...s.dismissed, id]) }));
  },
  dismissNotices(ids: number[]): void {
    useUiStore.setState((s) => ({ dismissed: new Set([...s.dismissed, ...ids]) }));
  },
  hideBanner(sessionId: string): void {
    useUiStore.setState((s) => ({ bannerHidden: new Set([...s.bannerHidden, sessionId]) }));
  },
};
