import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../../test/helpers/cli';
import type { LazyCliCommand } from './cli-types';
import { commands } from './commands';

const run = (argv: string[], registry: readonly LazyCliCommand[]) =>
  runCliCaptured(argv, { commands: registry, version: '1.2.3' });

/** A registry that records which command modules were imported. */
function recording(): { registry: LazyCliCommand[]; loaded: string[] } {
  const loaded: string[] = [];
  const registry = commands.map((c) => ({ name: c.name, load: () => (loaded.push(c.name), c.load()) }));
  return { registry, loaded };
}

describe('wave command registry', () => {
  it('--version prints the version without importing any command', async () => {
    const { registry, loaded } = recording();
    expect(await run(['--version'], registry)).toMatchObject({ code: 0, stdout: '1.2.3\n' });
    expect(await run(['--version', '--json'], registry)).toMatchObject({ code: 0, stdout: '{"version":"1.2.3"}\n' });
    expect(loaded).toEqual([]);
  });

  it('a command imports only its own module, and an unknown one imports none', async () => {
    const { registry, loaded } = recording();
    const r = await run(['validate', '--help'], registry);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: wave validate');
    expect(loaded).toEqual(['validate']);
    const unknown = await run(['frobnicate'], registry);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
    expect(loaded).toEqual(['validate']);
  });

  it('--help lists every registered command, each loaded under the name it is registered with', async () => {
    const r = await run(['--help'], commands);
    expect(r.code).toBe(0);
    for (const c of commands) expect(r.stdout).toMatch(new RegExp(`^  ${c.name} +\\S`, 'm'));
  });
});

describe('bin/wave.mjs', () => {
  const root = path.resolve(__dirname, '..', '..', '..');
  const bin = path.join(root, 'bin', 'wave.mjs');

  it('runs the built bundle, which finds the package version from wherever it is', () => {
    const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(execFileSync(process.execPath, [bin, '--version'], { cwd: os.tmpdir(), encoding: 'utf8' })).toBe(
      `${version}\n`,
    );
  });

  it('without a build says what to run instead of failing on a missing module', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wave-bin-'));
    try {
      mkdirSync(path.join(dir, 'bin'));
      copyFileSync(bin, path.join(dir, 'bin', 'wave.mjs'));
      mkdirSync(path.join(dir, 'src', 'main', 'cli'), { recursive: true });
      writeFileSync(path.join(dir, 'src', 'main', 'cli', 'main.ts'), '');
      const checkout = spawnSync(process.execPath, [path.join(dir, 'bin', 'wave.mjs'), '--version'], {
        encoding: 'utf8',
      });
      expect(checkout.status).toBe(1);
      expect(checkout.stderr).toContain('Run `npm run build` in this checkout first');
      rmSync(path.join(dir, 'src'), { recursive: true });
      const installed = spawnSync(process.execPath, [path.join(dir, 'bin', 'wave.mjs'), '--version'], {
        encoding: 'utf8',
      });
      expect(installed.status).toBe(1);
      expect(installed.stderr).toContain('reinstall WAVE Control Center');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
