import { describe, expect, it } from 'vitest';
import { importProgress } from './progress';

describe('import progress', () => {
  it('prints nothing for an import done within a second', () => {
    const lines: string[] = [];
    let t = 0;
    const report = importProgress(
      (l) => lines.push(l),
      1000,
      () => t,
    );
    for (let i = 1; i <= 3; i++) {
      t += 100;
      report({ phase: 'validate', done: i, total: 3 });
    }
    expect(lines).toEqual([]);
  });

  it('prints a line about every second of a long import, and its last step', () => {
    const lines: string[] = [];
    let t = 0;
    const report = importProgress(
      (l) => lines.push(l),
      1000,
      () => t,
    );
    for (let i = 1; i <= 50; i++) {
      t += 100; // 5 s in all
      report({ phase: 'import', done: i, total: 50 });
    }
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines[0]).toBe('  imported 10/50 files…');
    expect(lines.at(-1)).toBe('  imported 50/50 files…');
  });
});
