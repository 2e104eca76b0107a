export const VIEWS = [
  { id: 'waves', label: 'Waves' },
  { id: 'timeline', label: 'Timeline' },
  { id: 'charts', label: 'Charts' },
  { id: 'import', label: 'Import' },
  { id: 'prd', label: 'PRD' },
  { id: 'recovery', label: 'Recovery' },
  { id: 'settings', label: 'Settings' },
  { id: 'fleet', label: 'Fleet' },
] as const;
export type ViewId = (typeof VIEWS)[number]['id'];

export function Nav({ current, onSelect }: { current: ViewId; onSelect: (v: ViewId) => void }) {
  return (
    <nav className="nav" aria-label="Views">
      {VIEWS.map((v, i) => (
        <button
          key={v.id}
          type="button"
          className="nav-item"
          aria-current={v.id === current ? 'page' : undefined}
          onClick={() => onSelect(v.id)}
          title={`${v.label} (Alt+${i + 1})`}
          aria-keyshortcuts={`Alt+${i + 1}`}
        >
          {v.label}
        </button>
      ))}
      <p className="nav-help small muted">
        Alt+1…8 views
        <br />
        Ctrl+Shift+S stop
        <br />
        Esc closes panels
      </p>
    </nav>
  );
}
