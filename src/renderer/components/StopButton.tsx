/**
 * The emergency stop. Always visible in the header; while nothing can run it is disabled
 * and says why in text, not only in a tooltip.
 */
export function StopButton() {
  const reason = 'Nothing is running: no session can start until the orchestrator is installed.';
  return (
    <div className="stop-wrap">
      <button type="button" className="stop-button" disabled aria-describedby="stop-reason" data-testid="stop-button">
        ■ STOP
      </button>
      <span id="stop-reason" className="stop-reason">
        {reason}
      </span>
    </div>
  );
}
