import { memo } from 'react';
import type { StoryRunView } from '../../../shared/ipc/views';
import { GATE_STATE_GLYPH, gateCells, gateLabel, stripDescription } from '../../lib/gates';
import { duration } from '../../lib/format';

/** The 8-segment gate strip: each segment has a glyph and a label, never colour alone. */
export const GateStrip = memo(function GateStrip({
  gates,
  compact = false,
}: {
  gates: StoryRunView['gates'];
  compact?: boolean;
}) {
  const cells = gateCells({ gates });
  return (
    <span
      className={`gate-strip${compact ? ' compact' : ''}`}
      role="img"
      aria-label={`Gates: ${stripDescription(cells)}`}
      data-testid="gate-strip"
    >
      {cells.map((c) => (
        <span
          key={c.gate}
          className={`gate-seg gate-${c.state}`}
          data-state={c.state}
          title={`${gateLabel(c.gate)}: ${c.state}${c.attempts > 1 ? ` · ${c.attempts} attempts` : ''}${c.latest?.durationMs != null ? ` · ${duration(c.latest.durationMs)}` : ''}${c.latest?.reason ? ` · ${c.latest.reason}` : ''}`}
        >
          <span aria-hidden="true">{GATE_STATE_GLYPH[c.state]}</span>
        </span>
      ))}
    </span>
  );
});

export function GateLegend() {
  return (
    <span className="gate-legend muted small" aria-label="Gate strip legend">
      {(['passed', 'running', 'retrying', 'failed', 'stopped', 'skipped', 'pending'] as const).map((s) => (
        <span key={s} className="legend-item">
          <span className={`gate-seg gate-${s}`} aria-hidden="true">
            {GATE_STATE_GLYPH[s]}
          </span>{' '}
          {s}
        </span>
      ))}
    </span>
  );
}
