import { EmptyState } from '../EmptyState';

export function ImportView() {
  return (
    <EmptyState title="Import stories and a PRD">
      Drop stories (.json) or a PRD (.md) here once import is available.
    </EmptyState>
  );
}
