import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killChildren, runWave } from '../../../../test/orchestrator/child';

// `wave demo` on a machine with nothing set up: no DATABASE_URL, no REDIS_URL, no LLM.

const dirs: string[] = [];

afterAll(() => {
  killChildren();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('wave demo', () => {
  it('creates a sample project and runs a complete wave with the scripted agent', async () => {
    const base = mkdtempSync(join(tmpdir(), 'wave-demo-test-'));
    dirs.push(base);
    const dir = join(base, 'demo');
    const r = await runWave(['demo', '--dir', dir, '--json'], {
      DATABASE_URL: '',
      REDIS_URL: '',
      WAVE_HOME: join(base, 'unused-home'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ status: 'completed', dir, repo: join(dir, 'repo') });
    expect(r.json.stories.map((s: { id: string; status: string }) => `${s.id}:${s.status}`)).toEqual([
      'DEMO-1:merged',
      'DEMO-2:merged',
      'DEMO-3:merged',
      'DEMO-4:merged',
    ]);
    // DEMO-2 shows the fix loop: its QA failed once and passed after the agent's fix.
    expect(r.json.stories.find((s: { id: string }) => s.id === 'DEMO-2').attempts).toBe(2);
    expect(r.stderr).toMatch(/DEMO-2 gate-4 qa failed/);
    expect(r.json.cost_usd).toBeGreaterThan(0);
    const { execFileSync } = await import('node:child_process');
    const files = execFileSync('git', ['ls-tree', '-r', '--name-only', 'main'], {
      cwd: join(dir, 'repo'),
      encoding: 'utf8',
    });
    for (const f of ['src/greeting.js', 'src/clock.js', 'docs/usage.md', 'src/farewell.js']) expect(files).toContain(f);
    // A second demo into the same folder is refused instead of mixing two projects.
    const again = await runWave(['demo', '--dir', dir, '--json'], { DATABASE_URL: '', REDIS_URL: '' });
    expect(again.code).toBe(2);
    expect(again.json.error.message).toContain('is not empty');
  }, 180_000);
});
