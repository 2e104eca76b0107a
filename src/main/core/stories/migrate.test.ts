import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migratedFileName, migrateStoryFile, migrateStoryText } from './migrate';
import { validateStoryText } from './validate-story';

const CORPUS = path.resolve(__dirname, '../../../../test/fixtures/stories');
const read = (rel: string) => fs.readFileSync(path.join(CORPUS, rel), 'utf8');

/** Every (pointer, value) leaf of a JSON value, to compare documents field by field. */
function leaves(v: unknown, base = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (v && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    if (entries.length === 0) out.set(base, v);
    for (const [k, x] of entries) for (const [p, y] of leaves(x, `${base}/${k}`)) out.set(p, y);
  } else out.set(base, v);
  return out;
}

describe('migration 4.1/4.2 → 4.3', () => {
  for (const file of [
    'valid/v41-full.json',
    'valid/v41-tabs.json',
    'valid/v42-design-source.json',
    'valid/v42-bom-crlf-4-spaces.json',
    'valid/v43-fields-but-says-42.json',
    'valid/v43-detected-without-version.json',
  ]) {
    it(`${file}: the result validates as 4.3 and keeps every original field, in order`, () => {
      const source = read(file);
      const m = migrateStoryText(source, file);
      expect(m.changed).toBe(true);
      expect(m.report.errors).toEqual([]);
      expect(m.report.valid).toBe(true);
      expect(m.report.version).toBe('4.3');
      const before = JSON.parse(source.replace(/^\uFEFF/, ''));
      const after = JSON.parse(m.text!.replace(/^\uFEFF/, ''));
      const afterLeaves = leaves(after);
      for (const [p, v] of leaves(before)) {
        if (p === '/schema_version' || p === '/$schema') continue;
        expect(afterLeaves.get(p), p).toEqual(v);
      }
      expect(after.schema_version).toBe('4.3');
      // Existing keys keep their relative order; new ones are only added.
      const oldKeys = Object.keys(before);
      expect(Object.keys(after).filter((k) => oldKeys.includes(k))).toEqual(oldKeys);
      // A second migration has nothing left to do.
      const again = migrateStoryText(m.text!, file);
      expect(again.changed).toBe(false);
    });
  }

  it('adds the execution defaults, schema_version after $schema, and updates a story-schema $schema URL', () => {
    const m = migrateStoryText(read('valid/v41-full.json'));
    const after = JSON.parse(m.text!);
    expect(Object.keys(after).slice(0, 3)).toEqual(['$schema', 'schema_version', 'story_id']);
    expect(after.$schema).toBe('https://example.com/schemas/story-v4.3.schema.json');
    expect(after.execution).toEqual({ max_retries: 3, timeout_minutes: 60, checkpoint_frequency: 'per_gate' });
    expect(m.changes).toEqual([
      'schema_version: "4.1" → "4.3"',
      '$schema: "https://example.com/schemas/story-v4.1.schema.json" → "https://example.com/schemas/story-v4.3.schema.json"',
      'added execution defaults (max_retries 3, timeout_minutes 60, checkpoint_frequency "per_gate")',
    ]);
  });

  it("keeps the file's formatting: indentation, tabs, CRLF and BOM", () => {
    const tabs = migrateStoryText(read('valid/v41-tabs.json')).text!;
    expect(tabs).toMatch(/\n\t"execution": \{\n\t\t"max_retries": 3,/);
    const crlf = migrateStoryText(read('valid/v42-bom-crlf-4-spaces.json')).text!;
    expect(crlf.startsWith('\uFEFF{\r\n    "$schema"')).toBe(true);
    expect(crlf).toContain('\r\n    "execution": {\r\n        "max_retries": 3,');
    expect(crlf.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('fills only the missing execution fields of an existing block', () => {
    const doc = JSON.parse(read('valid/v41-full.json'));
    delete doc.schema_version;
    doc.execution = { timeout_minutes: 15 };
    const m = migrateStoryText(JSON.stringify(doc, null, 2));
    expect(JSON.parse(m.text!).execution).toEqual({
      timeout_minutes: 15,
      max_retries: 3,
      checkpoint_frequency: 'per_gate',
    });
  });

  it('never shortens or pads text: what 4.3 requires but the story lacks is reported to fix by hand, located in the new text', () => {
    const source = read('valid/v41-minimal-no-version-short-sentences.json');
    expect(validateStoryText(source).valid).toBe(true);
    const m = migrateStoryText(source, 'short.json');
    expect(m.report.valid).toBe(false);
    const errs = m.report.errors.map((e) => [e.pointer, e.code]);
    expect(errs).toEqual([
      ['/objective/i_want', 'minLength'],
      ['/objective/so_that', 'minLength'],
      ['/acceptance_criteria/0/description', 'minLength'],
    ]);
    const after = JSON.parse(m.text!);
    expect(after.objective.so_that).toBe('faster');
    const lines = m.text!.split('\n');
    for (const e of m.report.errors)
      expect(lines[e.line - 1]!.slice(e.column - 1).startsWith(JSON.stringify(e.value))).toBe(true);
  });

  it('leaves a 4.3 story alone and cannot migrate unparseable text', () => {
    const v43 = read('valid/v43-full.json');
    expect(migrateStoryText(v43)).toMatchObject({ changed: false, text: v43, changes: [] });
    const broken = migrateStoryText('{"story_id": ');
    expect(broken.text).toBeNull();
    expect(broken.report.errors[0]!.code).toBe('json-syntax');
  });

  it('names the output <name>.v43.json', () => {
    expect(migratedFileName(path.join('a', 'auth.json'))).toBe(path.join('a', 'auth.v43.json'));
  });
});

describe('migrateStoryFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-migrate-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes <name>.v43.json beside the original and leaves the original untouched', async () => {
    const file = path.join(dir, 'auth.json');
    const source = read('valid/v41-full.json');
    fs.writeFileSync(file, source);
    const w = await migrateStoryFile(file);
    expect(w.writtenTo).toBe(path.join(dir, 'auth.v43.json'));
    expect(fs.readFileSync(file, 'utf8')).toBe(source);
    expect(validateStoryText(fs.readFileSync(w.writtenTo!, 'utf8')).version).toBe('4.3');
  });

  it('--in-place keeps <name>.json.backup and rewrites the file', async () => {
    const file = path.join(dir, 'ui.json');
    const source = read('valid/v42-design-source.json');
    fs.writeFileSync(file, source);
    const w = await migrateStoryFile(file, { inPlace: true });
    expect(w.notWritten).toBeNull();
    expect(w.backupFile).toBe(`${file}.backup`);
    expect(fs.readFileSync(`${file}.backup`, 'utf8')).toBe(source);
    const r = validateStoryText(fs.readFileSync(file, 'utf8'));
    expect([r.valid, r.version]).toEqual([true, '4.3']);
    // Running it again: already 4.3, nothing written, the backup is intact.
    const again = await migrateStoryFile(file, { inPlace: true });
    expect(again.notWritten).toContain('Already schema 4.3');
    expect(fs.readFileSync(`${file}.backup`, 'utf8')).toBe(source);
  });

  it('--in-place refuses to replace a valid story with an invalid 4.3 one, locating the problems in the original', async () => {
    const file = path.join(dir, 'short.json');
    const source = read('valid/v41-minimal-no-version-short-sentences.json');
    fs.writeFileSync(file, source);
    const w = await migrateStoryFile(file, { inPlace: true });
    expect(w.writtenTo).toBeNull();
    expect(w.notWritten).toContain('must be fixed by hand');
    expect(fs.readFileSync(file, 'utf8')).toBe(source);
    expect(fs.existsSync(`${file}.backup`)).toBe(false);
    const lines = source.split('\n');
    for (const e of w.migration!.report.errors)
      expect(lines[e.line - 1]!.slice(e.column - 1).startsWith(JSON.stringify(e.value))).toBe(true);
  });

  it('--in-place does not overwrite a backup holding something else', async () => {
    const file = path.join(dir, 'auth.json');
    fs.writeFileSync(file, read('valid/v41-full.json'));
    fs.writeFileSync(`${file}.backup`, 'precious');
    const w = await migrateStoryFile(file, { inPlace: true });
    expect(w.notWritten).toContain('already exists');
    expect(fs.readFileSync(`${file}.backup`, 'utf8')).toBe('precious');
  });
});
