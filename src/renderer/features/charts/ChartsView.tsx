import { EmptyState } from '../EmptyState';

export function ChartsView() {
  return (
    <EmptyState title="No measurements yet">
      Latency, event rate and cost charts fill in as events flow.
    </EmptyState>
  );
}
