import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDataDir, resolveMigrationsDir } from './paths';

describe('resolveDataDir', () => {
  it('uses WAVE_HOME, else ~/.wave', () => {
    expect(resolveDataDir({ WAVE_HOME: '/srv/wave' })).toBe('/srv/wave');
    expect(resolveDataDir({ WAVE_HOME: '~/w' })).toBe(path.join(os.homedir(), 'w'));
    expect(resolveDataDir({})).toBe(path.join(os.homedir(), '.wave'));
  });
});

describe('resolveMigrationsDir', () => {
  it('finds the repository migrations from the source tree', () => {
    const dir = resolveMigrationsDir(undefined, {});
    expect(fs.existsSync(path.join(dir, 'meta', '_journal.json'))).toBe(true);
  });

  it('refuses a wrong explicit folder instead of silently using another one', () => {
    expect(() => resolveMigrationsDir(undefined, { WAVE_MIGRATIONS_DIR: os.tmpdir() })).toThrow(/WAVE_MIGRATIONS_DIR/);
    expect(() => resolveMigrationsDir('/nonexistent', {})).toThrow(/migrationsDir option/);
  });
});
