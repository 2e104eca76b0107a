import { EmptyState } from '../EmptyState';

export function TimelineView() {
  return (
    <EmptyState title="No gate runs to show">
      The timeline draws one bar per gate attempt once a session runs.
    </EmptyState>
  );
}
