import { EmptyState } from '../EmptyState';

export function PrdView() {
  return (
    <EmptyState title="No PRD imported">
      Import a PRD (markdown) to read it rendered and approve or reject it.
    </EmptyState>
  );
}
