import type { ReactNode } from 'react';

/** Shown where a view has nothing yet: says why and what the lead can do next. */
export function EmptyState({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="empty-state">
      <h2>{title}</h2>
      <p>{children}</p>
    </section>
  );
}
