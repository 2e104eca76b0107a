import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateStoryText } from './validate-story';

const CORPUS = path.resolve(__dirname, '../../../../test/fixtures/stories');
const read = (rel: string) => readFileSync(path.join(CORPUS, rel), 'utf8');
const check = (rel: string) => validateStoryText(read(rel), rel);

/** Every broken story of the corpus, with the finding it must produce: code, pointer, line, column, suggestion. */
type Finding = [code: string, pointer: string, line: number, column: number, suggestion?: RegExp];
const BROKEN: Record<string, Finding> = {
  'missing-story-id': ['required', '/story_id', 1, 1, /Add "story_id"/],
  'missing-so-that': ['required', '/objective/so_that', 15, 3, /Add "so_that": a sentence saying why/],
  'v43-so-that-too-short': ['minLength', '/objective/so_that', 20, 16, /10\+ characters/],
  'v43-ac-description-too-short': ['minLength', '/acceptance_criteria/1/description', 32, 22],
  'v43-says-42-with-short-so-that': ['minLength', '/objective/so_that', 20, 16],
  'wave-number-as-string': ['type', '/wave_number', 9, 18, /Remove the quotes: 1/],
  'priority-not-allowed': ['enum', '/priority', 10, 15, /"critical", "high", "medium", "low"/],
  'story-id-with-spaces': ['pattern', '/story_id', 4, 15, /"AUTH-001"/],
  'file-path-escapes-repo': ['pattern', '/files/modify/1', 40, 7],
  'file-path-absolute': ['pattern', '/files/create/2', 37, 7],
  'files-modify-not-a-list': ['type', '/files/modify', 38, 15, /\["src\/routes.ts"\]/],
  'no-acceptance-criteria': ['minItems', '/acceptance_criteria', 20, 26],
  'no-stop-conditions': ['minItems', '/safety/stop_conditions', 43, 24],
  'duplicate-ac-ids': ['duplicate-id', '/acceptance_criteria/1/id', 29, 13],
  'self-dependency': ['self-dependency', '/dependencies/0', 15, 5],
  'unknown-schema-version': ['enum', '/schema_version', 3, 21, /Write "4.1"/],
  'schema-version-as-number': ['type', '/schema_version', 3, 21, /"4.1"/],
  'v42-design-source-missing-path': ['required', '/design_source/path', 49, 3],
  'v43-bad-checkpoint-frequency': ['enum', '/execution/checkpoint_frequency', 91, 29, /"per_gate", "per_subtask"/],
  'v43-empty-validation-command': ['minItems', '/validation/commands/2', 134, 7],
  'objective-is-a-string': ['type', '/objective', 15, 16],
  'duplicate-key-title': ['duplicate-key', '/title', 6, 3],
  'not-an-object-array': ['type', '', 1, 1],
  'syntax-trailing-comma': ['json-syntax', '', 3, 19, /Remove this comma/],
  'syntax-missing-comma': ['json-syntax', '', 3, 3, /Add a comma/],
  'syntax-comment': ['json-syntax', '', 2, 3, /Remove the comment/],
  'syntax-single-quotes': ['json-syntax', '', 2, 3, /double quotes/],
  'syntax-truncated': ['json-syntax', '', 21, 4, /truncated/],
  'syntax-empty': ['json-syntax', '', 1, 1],
  'syntax-raw-tab-in-string': ['json-syntax', '', 3, 16, /\\t/],
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

  for (const [name, [code, pointer, line, column, suggestion]] of Object.entries(BROKEN)) {
    it(`explains invalid/${name}.json at line ${line}, column ${column}`, () => {
      const r = check(`invalid/${name}.json`);
      expect(r.valid).toBe(false);
      expect(r.story).toBeNull();
      const hit = r.errors.find((e) => e.code === code && e.pointer === pointer);
      expect(hit, JSON.stringify(r.errors, null, 1)).toBeDefined();
      expect([hit!.line, hit!.column]).toEqual([line, column]);
      expect(hit!.file).toBe(`invalid/${name}.json`);
      expect(hit!.message.length).toBeGreaterThan(10);
      expect(hit!.suggestion.length).toBeGreaterThan(5);
      if (suggestion) expect(hit!.suggestion).toMatch(suggestion);
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
