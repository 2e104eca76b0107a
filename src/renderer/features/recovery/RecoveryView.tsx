import { EmptyState } from '../EmptyState';

export function RecoveryView() {
  return (
    <EmptyState title="Nothing to recover">
      Sessions interrupted by a crash or a stop are listed here with each story's last checkpoint.
    </EmptyState>
  );
}
