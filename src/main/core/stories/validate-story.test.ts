import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateStoryText } from './validate-story';

const CORPUS = path.resolve(__dirname, '../../../../test/fixtures/stories');
const read = (rel: string) => readFileSync(path.join(CORPUS, rel), 'utf8');
const check = (rel: string) => validateStoryText(read(rel), rel);

/** Every broken story of the corpus, with the finding it must produce: code, pointer, line, column. */
const BROKEN: Record<string, { code: string; pointer: string; line: number; column: number; suggestion?: RegExp }> = {
  'missing-story-id': { code: 'required', pointer: '/story_id', line: 1, column: 1, suggestion: /Add "story_id"/ },
  'missing-so-that': {
    code: 'required',
    pointer: '/objective/so_that',
    line: 15,
    column: 3,
    suggestion: /Add "so_that": a sentence saying why/,
  },
  'v43-so-that-too-short': {
    code: 'minLength',
    pointer: '/objective/so_that',
    line: 20,
    column: 16,
    suggestion: /10\+ characters/,
  },
  'v43-ac-description-too-short': {
    code: 'minLength',
    pointer: '/acceptance_criteria/1/description',
    line: 32,
    column: 22,
  },
  'v43-says-42-with-short-so-that': { code: 'minLength', pointer: '/objective/so_that', line: 20, column: 16 },
  'wave-number-as-string': {
    code: 'type',
    pointer: '/wave_number',
    line: 9,
    column: 18,
    suggestion: /Remove the quotes: 1/,
  },
  'priority-not-allowed': {
    code: 'enum',
    pointer: '/priority',
    line: 10,
    column: 15,
    suggestion: /"critical", "high", "medium", "low"/,
  },
  'story-id-with-spaces': { code: 'pattern', pointer: '/story_id', line: 4, column: 15, suggestion: /"AUTH-001"/ },
  'file-path-escapes-repo': { code: 'pattern', pointer: '/files/modify/1', line: 40, column: 7 },
  'file-path-absolute': { code: 'pattern', pointer: '/files/create/2', line: 37, column: 7 },
  'files-modify-not-a-list': {
    code: 'type',
    pointer: '/files/modify',
    line: 38,
    column: 15,
    suggestion: /\["src\/routes.ts"\]/,
  },
  'no-acceptance-criteria': { code: 'minItems', pointer: '/acceptance_criteria', line: 20, column: 26 },
  'no-stop-conditions': { code: 'minItems', pointer: '/safety/stop_conditions', line: 43, column: 24 },
  'duplicate-ac-ids': { code: 'duplicate-id', pointer: '/acceptance_criteria/1/id', line: 29, column: 13 },
  'self-dependency': { code: 'self-dependency', pointer: '/dependencies/0', line: 15, column: 5 },
  'unknown-schema-version': {
    code: 'enum',
    pointer: '/schema_version',
    line: 3,
    column: 21,
    suggestion: /Write "4.1"/,
  },
  'schema-version-as-number': { code: 'type', pointer: '/schema_version', line: 3, column: 21, suggestion: /"4.1"/ },
  'v42-design-source-missing-path': { code: 'required', pointer: '/design_source/path', line: 49, column: 3 },
  'v43-bad-checkpoint-frequency': {
    code: 'enum',
    pointer: '/execution/checkpoint_frequency',
    line: 91,
    column: 29,
    suggestion: /"per_gate", "per_subtask"/,
  },
  'v43-empty-validation-command': { code: 'minItems', pointer: '/validation/commands/2', line: 134, column: 7 },
  'objective-is-a-string': { code: 'type', pointer: '/objective', line: 15, column: 16 },
  'duplicate-key-title': { code: 'duplicate-key', pointer: '/title', line: 6, column: 3 },
  'not-an-object-array': { code: 'type', pointer: '', line: 1, column: 1 },
  'syntax-trailing-comma': { code: 'json-syntax', pointer: '', line: 3, column: 19, suggestion: /Remove this comma/ },
  'syntax-missing-comma': { code: 'json-syntax', pointer: '', line: 3, column: 3, suggestion: /Add a comma/ },
  'syntax-comment': { code: 'json-syntax', pointer: '', line: 2, column: 3, suggestion: /Remove the comment/ },
  'syntax-single-quotes': { code: 'json-syntax', pointer: '', line: 2, column: 3, suggestion: /double quotes/ },
  'syntax-truncated': { code: 'json-syntax', pointer: '', line: 21, column: 4, suggestion: /truncated/ },
  'syntax-empty': { code: 'json-syntax', pointer: '', line: 1, column: 1 },
  'syntax-raw-tab-in-string': { code: 'json-syntax', pointer: '', line: 3, column: 16, suggestion: /\\t/ },
};

describe('story validation against the corpus', () => {
  it('has an expectation for every broken fixture', () => {
    const names = readdirSync(path.join(CORPUS, 'invalid')).map((f) => f.replace(/\.json$/, ''));
    expect(names.sort()).toEqual(Object.keys(BROKEN).sort());
  });

  for (const file of readdirSync(path.join(CORPUS, 'valid'))) {
    it(`accepts valid/${file} without errors or warnings (except a declared-4.2 note)`, () => {
      const r = check(`valid/${file}`);
      expect(r.errors).toEqual([]);
      expect(r.valid).toBe(true);
      expect(r.story?.story_id).toBe(r.storyId);
      expect(r.warnings.filter((w) => w.code !== 'version-mismatch')).toEqual([]);
      expect(r.version).toBe(file.startsWith('v42') ? '4.2' : file.startsWith('v43') ? '4.3' : '4.1');
    });
  }

  for (const [name, want] of Object.entries(BROKEN)) {
    it(`explains invalid/${name}.json at line ${want.line}, column ${want.column}`, () => {
      const r = check(`invalid/${name}.json`);
      expect(r.valid).toBe(false);
      expect(r.story).toBeNull();
      const hit = r.errors.find((e) => e.code === want.code && e.pointer === want.pointer);
      expect(hit, JSON.stringify(r.errors, null, 1)).toBeDefined();
      expect([hit!.line, hit!.column]).toEqual([want.line, want.column]);
      expect(hit!.file).toBe(`invalid/${name}.json`);
      expect(hit!.message.length).toBeGreaterThan(10);
      expect(hit!.suggestion.length).toBeGreaterThan(5);
      if (want.suggestion) expect(hit!.suggestion).toMatch(want.suggestion);
    });
  }

  it('reports exactly one finding per broken place (no cascades of ajv noise)', () => {
    expect(check('invalid/wave-number-as-string.json').errors).toHaveLength(1);
    expect(check('invalid/objective-is-a-string.json').errors).toHaveLength(1);
    const many = validateStoryText(JSON.stringify({ story_id: '' }), 'x');
    const pointers = many.errors.map((e) => e.pointer);
    expect(new Set(pointers).size).toBe(pointers.length);
  });

  it('carries the offending value', () => {
    const e = check('invalid/priority-not-allowed.json').errors[0]!;
    expect(e.value).toBe('urgent');
    expect(e.message).toContain('"urgent"');
  });

  it('suggests the allowed value that differs only by case', () => {
    const doc = JSON.parse(read('valid/v41-full.json'));
    doc.priority = 'High';
    const e = validateStoryText(JSON.stringify(doc), 'x').errors[0]!;
    expect(e.suggestion).toMatch(/^Write "high"/);
  });

  it('validates a "4.2" story that uses 4.3 fields with the 4.3 rules and says so', () => {
    const r = check('valid/v43-fields-but-says-42.json');
    expect(r.version).toBe('4.3');
    expect(r.warnings.map((w) => w.code)).toEqual(['version-mismatch']);
    expect(r.warnings[0]!.message).toContain('4.3 rules');
    // the same short so_that is fine in a plain 4.2 story
    const doc = JSON.parse(read('valid/v42-design-source.json'));
    doc.objective.so_that = 'faster';
    expect(validateStoryText(JSON.stringify(doc), 'x').valid).toBe(true);
  });

  it('warns about unknown fields with their pointer and a did-you-mean, without failing', () => {
    const r = check('warnings/unknown-fields-typos.json');
    expect(r.valid).toBe(true);
    expect(r.warnings.map((w) => [w.pointer, w.line])).toEqual([
      ['/objective/so_taht', 19],
      ['/titel', 49],
      ['/x_team_field', 50],
    ]);
    expect(r.warnings[0]!.suggestion).toContain('"so_that"');
    expect(r.warnings[1]!.suggestion).toContain('"title"');
  });

  it('knows the field an agent preset reads (test_agent, for the scripted agent) in every schema version, but not a typo of it', () => {
    for (const rel of ['valid/v41-full.json', 'valid/v42-design-source.json', 'valid/v43-full.json']) {
      const doc = JSON.parse(read(rel));
      doc.test_agent = { qa_fix: true };
      doc.test_agnet = { qa_fix: true };
      const r = validateStoryText(JSON.stringify(doc, null, 2), rel);
      expect(r.valid, rel).toBe(true);
      expect(
        r.warnings.map((w) => w.pointer),
        rel,
      ).toEqual(['/test_agnet']);
      expect(r.warnings[0]!.suggestion).toContain('"test_agent"');
    }
  });

  it('tells a 4.1 story that its 4.3 field is ignored', () => {
    const r = check('warnings/v41-with-43-field-ignored.json');
    expect(r.valid).toBe(true);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]!.message).toContain('"execution" is a schema 4.3 field');
  });

  it('counts lines and columns the way an editor does with a BOM and CRLF line ends', () => {
    const text = read('valid/v42-bom-crlf-4-spaces.json').replace('"wave_number": 2', '"wave_number": "2"');
    const e = validateStoryText(text, 'x').errors[0]!;
    expect(e.pointer).toBe('/wave_number');
    const lines = text.replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[e.line - 1]!.slice(e.column - 1)).toMatch(/^"2"/);
  });

  it('refuses text over 1 MB before parsing it', () => {
    const doc = JSON.parse(read('valid/v41-full.json'));
    doc.description = 'x'.repeat(1024 * 1024);
    const r = validateStoryText(JSON.stringify(doc), 'big.json');
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.code)).toEqual(['too-large']);
    expect(r.errors[0]!.message).toContain('over 1 MB');
  });
});

describe('story validation of hostile keys', () => {
  it('warns about "__proto__" and "constructor" like any other unknown field', () => {
    const text = read('valid/v41-full.json').replace(
      '"story_id": "AUTH-001",',
      '"story_id": "AUTH-001",\n  "__proto__": {"x": 1},\n  "constructor": 1,',
    );
    const r = validateStoryText(text, 'x');
    expect(r.valid).toBe(true);
    expect(r.warnings.map((w) => w.pointer)).toEqual(['/__proto__', '/constructor']);
  });
});
