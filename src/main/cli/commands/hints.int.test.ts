import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WAVE_BIN, waveProcessSuite } from '../../../../test/orchestrator/child';

/*
 * Every command the CLI prints for a person to paste is pasted: each hint line goes through
 * /bin/sh exactly as printed, with `wave` on PATH, from a folder whose name has a space, inside
 * another git repository (the way a lead tries `wave init` from the control center's checkout).
 */

const suite = waveProcessSuite();
const base = realpathSync(mkdtempSync(join(tmpdir(), 'wave hints ')));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A `wave` on PATH that runs this checkout's built CLI (bin/wave.mjs), from any directory. */
function waveOnPath(): string {
  const bin = join(base, 'bin');
  mkdirSync(bin, { recursive: true });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  writeFileSync(join(bin, 'wave'), `#!/bin/sh\nexec ${q(process.execPath)} ${q(WAVE_BIN)} "$@"\n`);
  chmodSync(join(bin, 'wave'), 0o755);
  return bin;
}

function paste(
  line: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', line], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The indented `wave …` lines under a "Next:" or "Start one with:" line. */
const hintLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => /^ {2}wave /.test(l))
    .map((l) => l.trim());

describe('hints the CLI prints', () => {
  it('wave init → validate → import → prd show → status → run → prd approve, each pasted as printed', async () => {
    const outer = join(base, 'control center');
    mkdirSync(outer);
    execFileSync('git', ['init', '-q', outer]);
    const env = {
      PATH: `${waveOnPath()}:${process.env.PATH}`,
      WAVE_HOME: await suite.home(),
      DATABASE_URL: '',
      REDIS_URL: '',
      WAVE_USER: 'ana lead',
    };

    const init = paste('wave init "my repo"', outer, env);
    expect(init.code, init.stderr).toBe(0);
    const next = hintLines(init.stdout);
    expect(next).toHaveLength(3);
    for (const line of next) {
      const r = paste(line, outer, env);
      expect(r.code, `${line}\n${r.stdout}${r.stderr}`).toBe(0);
      // The import goes into the project wave init wrote, not into the repository around it.
      if (line.startsWith('wave import')) expect(r.stdout).toContain(`(${join(outer, 'my repo')})`);
    }

    const status = paste('wave status', outer, env);
    expect(status.code, status.stderr).toBe(0);
    const start = hintLines(status.stdout);
    expect(start).toHaveLength(1);
    const run = paste(start[0]!, outer, env);
    // The PRD is not approved yet: refused, with the command that approves it.
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('PRD-EXAMPLE has not been approved yet');
    const approve = /(wave prd approve \S+)/.exec(run.stderr)![1]!.replace(/\.$/, '');
    const approved = paste(approve, outer, env);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/^Approved\./);
    const shown = paste('wave prd show PRD-EXAMPLE --json', outer, env);
    expect(JSON.parse(shown.stdout).approval).toMatchObject({ approved: true, approvedBy: 'ana lead' });
  }, 240_000);

  it('wave status on a new data dir says it is creating the database (with an estimate), then points at the demo; the next new data dir starts from a copy; help lists --json', async () => {
    const home = join(base, 'new home');
    // A cache of its own, empty: this machine's copy of a fresh cluster must not exist yet.
    const cache = join(base, 'cache');
    const env = {
      PATH: `${waveOnPath()}:${process.env.PATH}`,
      WAVE_HOME: home,
      WAVE_CACHE_DIR: cache,
      DATABASE_URL: '',
      REDIS_URL: '',
    };
    const status = paste('wave status', base, env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toMatch(
      /^Creating the embedded database in .*: first start only, usually 15–60 s; later starts take about a second\./m,
    );
    const took = Number(/embedded database created in (\d+) s\./.exec(status.stderr)?.[1]);
    expect(took).toBeGreaterThanOrEqual(0);
    // While initdb holds the main thread, a line every 5 s still says it is working.
    if (took >= 7)
      expect(status.stderr).toMatch(/still creating the embedded database… \d+ s so far \(usually 15–60 s\)/);
    expect(hintLines(status.stdout)).toEqual(['wave demo']);
    // The second start is quick and says nothing about it.
    const again = paste('wave status', base, env);
    expect(again.stderr).not.toMatch(/embedded database/);
    // Another data dir on this machine starts from the fresh cluster the first one kept, owner-only.
    const other = paste('wave status', base, { ...env, WAVE_HOME: join(base, 'other home') });
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toMatch(/^Created the embedded database in .* from this machine's fresh copy/m);
    expect(other.stderr).not.toMatch(/15–60 s/);
    // Both ways of creating it leave nothing readable by group or others, the cache included.
    for (const dir of [home, join(base, 'other home'), cache]) {
      const open = execFileSync('find', [dir, '-perm', '/077'], { encoding: 'utf8' });
      expect(open, `files open to group or others in ${dir}`).toBe('');
    }
    const help = paste('wave demo --help', base, env);
    expect(help.stdout).toMatch(/--dir <value>/);
    expect(help.stdout).toMatch(/--json/);
  }, 240_000);
});
