import { EmptyState } from '../EmptyState';

export function WavesView() {
  return (
    <EmptyState title="No session yet">
      Import stories and a PRD, approve it, then start a session: its waves and each story's gate strip appear here, live.
    </EmptyState>
  );
}
