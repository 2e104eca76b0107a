import type { Notice } from './views';

/**
 * The mark before a notice's title, in the window's toasts and in system notifications
 * alike. A module of its own (types only from views.ts) so the renderer can import the
 * value without pulling zod and the schemas into its bundle.
 */
export const NOTICE_GLYPH: Record<Notice['kind'], string> = {
  escalation: '⚠',
  budget_warning: '◐',
  budget_exceeded: '⛔',
  stopped: '■',
  completed: '✓',
  failed: '✕',
  error: '✕',
};
