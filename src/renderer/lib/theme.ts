export type Theme = 'dark' | 'light';
const KEY = 'wave.theme';

function osTheme(): Theme {
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

/** The lead's saved choice, else what the OS prefers. */
export function initialTheme(): Theme {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === 'dark' || saved === 'light') return saved;
  } catch {
    // Storage unavailable: follow the OS.
  }
  return osTheme();
}

/** True when the lead picked a theme; otherwise the app follows the OS as it changes. */
export function themeSaved(): boolean {
  try {
    const saved = localStorage.getItem(KEY);
    return saved === 'dark' || saved === 'light';
  } catch {
    return false;
  }
}

/** Calls back when the OS switches between dark and light. */
export function onOsThemeChange(listener: (theme: Theme) => void): () => void {
  const mq = window.matchMedia?.('(prefers-color-scheme: light)');
  if (!mq) return () => {};
  const on = (e: MediaQueryListEvent) => listener(e.matches ? 'light' : 'dark');
  mq.addEventListener('change', on);
  return () => mq.removeEventListener('change', on);
}

export function applyTheme(theme: Theme, persist: boolean): void {
  document.documentElement.dataset.theme = theme;
  if (persist) {
    try {
      localStorage.setItem(KEY, theme);
    } catch {
      // Not persisted; the toggle still works for this window.
    }
  }
}

/** Colours for SVG charts, which cannot read CSS variables reliably. */
export interface ChartPalette {
  text: string;
  muted: string;
  grid: string;
  series: string[];
  ok: string;
  warn: string;
  bad: string;
  tooltipBg: string;
}

export const PALETTES: Record<Theme, ChartPalette> = {
  dark: {
    text: '#e6e8ee',
    muted: '#9aa3b2',
    grid: '#2a2f3a',
    series: ['#58a6ff', '#d29922', '#f778ba', '#3fb950', '#a371f7', '#79c0ff'],
    ok: '#3fb950',
    warn: '#d29922',
    bad: '#f85149',
    tooltipBg: '#171a21',
  },
  light: {
    text: '#1f2328',
    muted: '#57606a',
    grid: '#d0d7de',
    series: ['#0969da', '#9a6700', '#bf3989', '#1a7f37', '#8250df', '#0550ae'],
    ok: '#1a7f37',
    warn: '#9a6700',
    bad: '#cf222e',
    tooltipBg: '#ffffff',
  },
};
