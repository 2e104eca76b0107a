import { describe, expect, it } from 'vitest';
import { importProgress } from './progress';

/** The lines importProgress prints for `total` steps of `phase`, each `stepMs` apart on a fake clock. */
function printed(phase: 'validate' | 'import', total: number, stepMs: number): string[] {
  const lines: string[] = [];
  let t = 0;
  const report = importProgress(
    (l) => lines.push(l),
    1000,
    () => t,
  );
  for (let i = 1; i <= total; i++) {
    t += stepMs;
    report({ phase, done: i, total });
  }
  return lines;
}

describe('import progress', () => {
  it('prints nothing for an import done within a second', () => {
    expect(printed('validate', 3, 100)).toEqual([]);
  });

  it('prints a line about every second of a long import, and its last step', () => {
    const lines = printed('import', 50, 100); // 5 s in all
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines[0]).toBe('  imported 10/50 files…');
    expect(lines.at(-1)).toBe('  imported 50/50 files…');
  });
});
