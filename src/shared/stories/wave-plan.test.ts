import { describe, expect, it } from 'vitest';
import { planWaves, type PlannableStory } from './wave-plan';

const s = (story_id: string, wave_number: number, extra: Partial<PlannableStory> = {}): PlannableStory => ({
  story_id,
  wave_number,
  ...extra,
});

describe('planWaves', () => {
  it('groups stories by wave_number in increasing order, highest priority first inside a wave', () => {
    const plan = planWaves([
      s('C', 2),
      s('B', 1, { priority: 'low' }),
      s('A', 1, { priority: 'critical' }),
      s('D', 5),
      s('E', 1),
    ]);
    expect(plan.ok).toBe(true);
    expect(plan.waves).toEqual([
      { number: 1, storyIds: ['A', 'B', 'E'] },
      { number: 2, storyIds: ['C'] },
      { number: 5, storyIds: ['D'] },
    ]);
  });

  it('accepts dependencies on earlier waves', () => {
    const plan = planWaves([s('A', 1), s('B', 2, { dependencies: ['A'] }), s('C', 3, { dependencies: ['A', 'B'] })]);
    expect(plan.errors).toEqual([]);
  });

  it('refuses a dependency on a later wave, naming both stories and their waves', () => {
    const plan = planWaves([s('AUTH-002', 1, { dependencies: ['AUTH-001'] }), s('AUTH-001', 2)]);
    expect(plan.ok).toBe(false);
    expect(plan.errors).toHaveLength(1);
    const e = plan.errors[0]!;
    expect(e.code).toBe('dependency-order');
    expect(e.message).toContain('AUTH-002 (wave 1)');
    expect(e.message).toContain('AUTH-001');
    expect(e.message).toContain('later wave (2)');
    expect(e.move).toEqual({ storyId: 'AUTH-002', fromWave: 1, toWave: 3 });
  });

  it('refuses a dependency inside the same wave (stories of a wave run in parallel)', () => {
    const plan = planWaves([s('A', 2), s('B', 2, { dependencies: ['A'] })]);
    expect(plan.errors.map((e) => e.code)).toEqual(['dependency-order']);
    expect(plan.errors[0]!.message).toContain('same wave');
    expect(plan.errors[0]!.suggestion).toContain('Move B to wave 3');
  });

  it('reports a missing dependency unless it is declared satisfied', () => {
    const stories = [s('A', 1, { dependencies: ['GONE-1'] })];
    const plan = planWaves(stories);
    expect(plan.errors.map((e) => [e.code, e.storyIds])).toEqual([['missing-dependency', ['A', 'GONE-1']]]);
    expect(plan.errors[0]!.message).toContain('GONE-1');
    expect(planWaves(stories, { satisfied: ['GONE-1'] }).ok).toBe(true);
  });

  it('lists a dependency cycle once, in order, instead of a cascade of order errors', () => {
    const plan = planWaves([
      s('A', 1, { dependencies: ['C'] }),
      s('B', 1, { dependencies: ['A'] }),
      s('C', 1, { dependencies: ['B'] }),
      s('D', 2, { dependencies: ['A'] }),
    ]);
    const cycles = plan.errors.filter((e) => e.code === 'dependency-cycle');
    expect(cycles).toHaveLength(1);
    expect(cycles[0]!.cycle).toEqual(['A', 'C', 'B', 'A']);
    expect(cycles[0]!.message).toContain('A → C → B → A');
    expect(plan.errors.filter((e) => e.code === 'dependency-order')).toEqual([]);
  });

  it('reports a self-dependency as a cycle of one', () => {
    const plan = planWaves([s('A', 1, { dependencies: ['A'] })]);
    expect(plan.errors.map((e) => e.code)).toEqual(['dependency-cycle']);
    expect(plan.errors[0]!.message).toBe('A depends on itself.');
  });

  it('finds two separate cycles and survives a long chain without recursion limits', () => {
    const chain = Array.from({ length: 5000 }, (_, i) => s(`S${i}`, i + 1, { dependencies: i ? [`S${i - 1}`] : [] }));
    expect(planWaves(chain).ok).toBe(true);
    const plan = planWaves([
      s('A', 1, { dependencies: ['B'] }),
      s('B', 1, { dependencies: ['A'] }),
      s('X', 1, { dependencies: ['Y'] }),
      s('Y', 1, { dependencies: ['X'] }),
    ]);
    expect(plan.errors.filter((e) => e.code === 'dependency-cycle').map((e) => e.cycle)).toEqual([
      ['A', 'B', 'A'],
      ['X', 'Y', 'X'],
    ]);
  });

  it('reports a duplicate story id', () => {
    const plan = planWaves([s('A', 1), s('A', 2)]);
    expect(plan.errors.map((e) => e.code)).toEqual(['duplicate-story-id']);
  });

  it('warns when two stories of one wave touch the same file and suggests moving the lower-priority one', () => {
    const plan = planWaves([
      s('A', 1, { priority: 'high', files: { create: ['src/a.ts'], modify: ['./src/routes.ts'] } }),
      s('B', 1, { priority: 'low', files: { create: [], modify: ['src/routes.ts', 'src/b.ts'] } }),
      s('C', 1, { files: { create: ['src/c.ts'], modify: [] } }),
      s('D', 2, { files: { create: [], modify: ['src/routes.ts'] } }),
    ]);
    expect(plan.ok).toBe(true);
    expect(plan.warnings).toHaveLength(1);
    const w = plan.warnings[0]!;
    expect(w.code).toBe('file-overlap');
    expect(w.files).toEqual(['src/routes.ts']);
    expect(w.move).toEqual({ storyId: 'B', fromWave: 1, toWave: 2 });
    expect(w.message).toContain('A and B are both in wave 1');
    expect(w.suggestion).toContain('Move B to wave 2');
  });

  it('keeps the story others depend on and names the followers that would have to move too', () => {
    const plan = planWaves([
      s('A', 1, { priority: 'high', files: { create: [], modify: ['x.ts'] } }),
      s('B', 1, { priority: 'low', files: { create: [], modify: ['x.ts'] } }),
      s('C', 2, { dependencies: ['A'] }),
    ]);
    // A has a dependent, B does not: B moves even though the order says otherwise.
    expect(plan.warnings[0]!.move?.storyId).toBe('B');
    const plan2 = planWaves([
      s('A', 1, { priority: 'high', files: { create: [], modify: ['x.ts'] } }),
      s('B', 1, { priority: 'low', files: { create: [], modify: ['x.ts'] } }),
      s('C', 2, { dependencies: ['B'] }),
    ]);
    expect(plan2.warnings[0]!.move?.storyId).toBe('A');
  });

  it('sees an overlap between a glob and a path', () => {
    const plan = planWaves([
      s('A', 1, { files: { create: [], modify: ['src/auth/**'] } }),
      s('B', 1, { files: { create: ['src/auth/token.ts'], modify: [] } }),
    ]);
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]!.files).toEqual(['src/auth/** ~ src/auth/token.ts']);
  });
});
