import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../../../test/helpers/cli';
import { initCommand } from './init';
import { validateCommand } from './validate';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures/stories');

const wave = (argv: string[], cwd: string) => runCliCaptured(argv, { commands: [validateCommand, initCommand], cwd });

describe('wave validate', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-validate-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exits 0 when every file is valid and gives the documented JSON shape', async () => {
    const r = await wave(['validate', 'valid', '--json'], FIXTURES);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { files: Array<Record<string, unknown>> };
    expect(doc.files.length).toBe(fs.readdirSync(path.join(FIXTURES, 'valid')).length);
    for (const f of doc.files) {
      expect(Object.keys(f)).toEqual(['file', 'kind', 'valid', 'version', 'errors', 'warnings']);
      expect(f.valid).toBe(true);
    }
    expect(doc.files.find((f) => f.file === 'valid/v42-design-source.json')?.version).toBe('4.2');
  });

  it('exits 1 when a file is invalid and locates each error', async () => {
    const r = await wave(['validate', 'invalid/v43-so-that-too-short.json', 'valid/v41-full.json', '--json'], FIXTURES);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.files[0]).toMatchObject({ file: 'invalid/v43-so-that-too-short.json', valid: false, version: '4.3' });
    expect(doc.files[0].errors[0]).toMatchObject({
      pointer: '/objective/so_that',
      line: 20,
      column: 16,
      value: 'faster',
    });
    expect(doc.files[0].errors[0].suggestion).toContain('10+ characters');
    expect(doc.files[1].valid).toBe(true);
  });

  it('prints editor-style locations and fixes for a person', async () => {
    const r = await wave(
      ['validate', 'invalid/syntax-trailing-comma.json', 'warnings/unknown-fields-typos.json'],
      FIXTURES,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ invalid/syntax-trailing-comma.json: 1 error');
    expect(r.stdout).toContain('error invalid/syntax-trailing-comma.json:3:19  Trailing comma');
    expect(r.stdout).toContain('fix: Remove this comma.');
    expect(r.stdout).toContain('warning warnings/unknown-fields-typos.json:49:3 (/titel)');
    expect(r.stdout).toMatch(/2 files checked: 1 valid, 1 invalid\./);
  });

  it('reports duplicate story ids across files, naming the other file', async () => {
    const r = await wave(['validate', 'duplicate-ids', '--json'], FIXTURES);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.files[0].errors[0].message).toContain('duplicate-ids/second.json');
    expect(doc.files[1].errors[0].message).toContain('duplicate-ids/first.json');
  });

  it('refuses a file over 1 MB without reading it, and reports a missing path', async () => {
    const big = path.join(dir, 'big.json');
    fs.writeFileSync(big, `{"description": "${'x'.repeat(1024 * 1024 + 10)}"}`);
    const r = await wave(['validate', 'big.json', 'nope.json', '--json'], dir);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(
      doc.files.map((f: { file: string; errors: Array<{ code: string }> }) => [f.file, f.errors[0]!.code]).sort(),
    ).toEqual([
      ['big.json', 'too-large'],
      ['nope.json', 'not-found'],
    ]);
  });

  it('exits 2 on bad usage', async () => {
    expect((await wave(['validate'], dir)).code).toBe(2);
    expect((await wave(['validate', 'x.json', '--in-place'], dir)).code).toBe(2);
    expect((await wave(['validate', 'x.json', '--bogus'], dir)).code).toBe(2);
  });

  it('--migrate writes <name>.v43.json keeping every field; --in-place rewrites with a backup', async () => {
    fs.copyFileSync(path.join(FIXTURES, 'valid/v41-full.json'), path.join(dir, 'auth.json'));
    fs.copyFileSync(path.join(FIXTURES, 'valid/v42-design-source.json'), path.join(dir, 'ui.json'));
    const r = await wave(['validate', '--migrate', 'auth.json', '--json'], dir);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.files[0].migration).toMatchObject({
      from: '4.1',
      written: 'auth.v43.json',
      backup: null,
      valid: true,
      errors: [],
    });
    const migrated = JSON.parse(fs.readFileSync(path.join(dir, 'auth.v43.json'), 'utf8'));
    const original = JSON.parse(fs.readFileSync(path.join(dir, 'auth.json'), 'utf8'));
    expect({
      ...migrated,
      schema_version: original.schema_version,
      $schema: original.$schema,
      execution: undefined,
    }).toEqual({ ...original, execution: undefined });

    const r2 = await wave(['validate', '--migrate', '--in-place', 'ui.json'], dir);
    expect(r2.code).toBe(0);
    expect(r2.stdout).toContain('wrote ui.json (original kept as ui.json.backup)');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'ui.json'), 'utf8')).schema_version).toBe('4.3');
    expect(fs.readFileSync(path.join(dir, 'ui.json.backup'), 'utf8')).toBe(
      fs.readFileSync(path.join(FIXTURES, 'valid/v42-design-source.json'), 'utf8'),
    );
  });

  it('--migrate exits 1 and lists what must be fixed by hand when 4.3 asks for more', async () => {
    fs.copyFileSync(
      path.join(FIXTURES, 'valid/v41-minimal-no-version-short-sentences.json'),
      path.join(dir, 'short.json'),
    );
    const r = await wave(['validate', '--migrate', 'short.json'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✓ short.json (schema 4.1)');
    expect(r.stdout).toContain('the migrated story still needs 3 fixes by hand');
    expect(r.stdout).toMatch(/short\.v43\.json:\d+:\d+ \(\/objective\/so_that\)/);
  });
});

describe('wave init', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-init-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a config, an example story and PRD that all validate, and keeps existing files', async () => {
    const r = await wave(['init', 'repo', '--json'], dir);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.files.map((f: { status: string }) => f.status)).toEqual(['written', 'written', 'written']);
    const v = await wave(['validate', 'repo', '--json'], dir);
    expect(v.code).toBe(0);
    const files = JSON.parse(v.stdout).files;
    expect(
      files.map((f: { file: string; kind: string; warnings: unknown[] }) => [f.file, f.kind, f.warnings.length]),
    ).toEqual([
      [path.join('repo', 'stories', 'example-001.json'), 'story', 0],
      [path.join('repo', 'stories', 'prd-example.md'), 'prd', 0],
      [path.join('repo', 'wave.config.json'), 'config', 0],
    ]);
    fs.writeFileSync(path.join(dir, 'repo', 'wave.config.json'), '{}');
    const again = await wave(['init', 'repo', '--json'], dir);
    expect(JSON.parse(again.stdout).files[0].status).toBe('kept');
    expect(fs.readFileSync(path.join(dir, 'repo', 'wave.config.json'), 'utf8')).toBe('{}');
  });
});
