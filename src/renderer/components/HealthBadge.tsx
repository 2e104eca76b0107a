import type { HealthStatus } from '../../shared/ipc/schemas';

const GLYPH: Record<HealthStatus, string> = { ok: '●', degraded: '◐', down: '○' };

/** Status is always text plus a glyph, never colour alone. */
export function HealthBadge({
  label,
  kind,
  status,
  detail,
  extra,
  testId,
}: {
  label: string;
  kind: string;
  status: HealthStatus;
  detail: string;
  extra?: string;
  testId: string;
}) {
  return (
    <span className={`health health-${status}`} title={detail} data-testid={testId}>
      <span className="health-label">{label}:</span> <span data-testid={`${testId}-kind`}>{kind}</span>{' '}
      <span aria-hidden="true">{GLYPH[status]}</span> <span data-testid={`${testId}-status`}>{status}</span>
      {extra ? <span className="health-extra"> {extra}</span> : null}
    </span>
  );
}
