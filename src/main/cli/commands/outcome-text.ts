import type { SessionOutcome } from '../../core/orchestrator/session-outcome';

// How `wave run`, `wave status` and `wave resume` print a session's outcome. Its own module so
// `wave status` does not load what running a session needs.

export const fmtUsd = (n: number) => `$${n.toFixed(4)}`;

export function renderOutcome(o: SessionOutcome): string {
  const lines = [
    `Session ${o.session}: ${o.status}, ${fmtUsd(o.cost_usd)} spent${o.budget_usd !== null ? ` of $${o.budget_usd.toFixed(2)}` : ''}.`,
    ...(o.reason ? [`  ${o.reason}`] : []),
    '',
    ...o.stories.map(
      (s) =>
        `  ${s.id.padEnd(14)} ${s.status.padEnd(9)} ${(s.gate ?? '').padEnd(7)} attempts ${String(s.attempts).padEnd(2)} ${fmtUsd(s.cost_usd).padStart(9)}  ${s.merge_sha ? s.merge_sha.slice(0, 12) : ''}${s.reason && s.status !== 'merged' ? `  ${s.reason}` : ''}`,
    ),
  ];
  if (o.status === 'stopped' || o.status === 'paused' || o.status === 'failed')
    lines.push('', `Continue it with: wave resume ${o.session}`);
  return lines.join('\n');
}
