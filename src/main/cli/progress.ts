/* Progress lines for CLI waits that can take more than a second. */

/**
 * Progress of a many-file import on stderr: one line at most every `everyMs` (and the last
 * one), so a large folder never sits silent and a small one prints nothing extra.
 */
export function importProgress(
  info: (line: string) => void,
  everyMs = 1000,
  now: () => number = Date.now,
): (p: { phase: 'validate' | 'import'; done: number; total: number }) => void {
  const started = now();
  let last = started;
  return (p) => {
    const t = now();
    const final = p.done === p.total;
    if (t - started < everyMs && final) return;
    if (t - last < everyMs && !final) return;
    last = t;
    info(`  ${p.phase === 'validate' ? 'validated' : 'imported'} ${p.done}/${p.total} files…`);
  };
}
