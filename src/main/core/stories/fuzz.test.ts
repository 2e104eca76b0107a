import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromPointer } from './json-text';
import { migrateStoryText } from './migrate';
import { seededRandom } from '../../../../test/helpers/random';
import { chaosRounds, chaosTimeout } from '../../../../test/helpers/chaos';
import { validateStoryText, type StoryValidation } from './validate-story';

/*
 * Mutation fuzzing: thousands of random edits of valid stories (seeded, so a failure is
 * reproducible from the printed seed and iteration). Whatever the input, validation must not
 * throw, must call the file invalid exactly when it reports an error, and every error must
 * be located (pointer + a line/column inside the text).
 */

const CORPUS = path.resolve(__dirname, '../../../../test/fixtures/stories/valid');
const SEEDS = readdirSync(CORPUS).map((f) => readFileSync(path.join(CORPUS, f), 'utf8'));

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;

const GARBAGE = [
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  "'",
  '\\',
  '\n',
  '\t',
  '\u0000',
  '\u0007',
  '/',
  '*',
  '//',
  '/*',
  'null',
  'true',
  '-',
  '0x',
  '1e',
  'é',
  '😀',
  '\ud800',
  '\uFEFF',
  ' ',
];

function randomValue(rng: Rng): unknown {
  return pick(rng, [
    () => null,
    () => true,
    () => Math.floor(rng() * 2000) - 1000,
    () => rng() * 10,
    () => '',
    () => ' ',
    () => 'x'.repeat(Math.floor(rng() * 30)),
    () => [],
    () => [Math.floor(rng() * 5)],
    () => ({}),
    () => ({ nested: 'x' }),
    () => '../../etc/passwd',
    () => '4.3',
  ])();
}

/** Every path to a value inside a JSON value. */
function allPaths(v: unknown, base: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [base];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...allPaths(x, [...base, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...allPaths(x, [...base, k]));
  return out;
}

function parentAndKey(
  root: unknown,
  p: (string | number)[],
): [Record<string, unknown> | unknown[], string | number] | null {
  if (p.length === 0) return null;
  let cur: unknown = root;
  for (const seg of p.slice(0, -1)) cur = (cur as Record<string | number, unknown>)[seg];
  return [cur as Record<string, unknown>, p[p.length - 1]!];
}

function mutate(text: string, rng: Rng): string {
  const kind = Math.floor(rng() * 8);
  if (kind <= 3) {
    const doc = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
    const paths = allPaths(doc).filter((p) => p.length > 0);
    const target = pick(rng, paths);
    const pk = parentAndKey(doc, target)!;
    const [parent, key] = pk;
    if (kind === 0) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key as string];
    } else if (kind === 1 || kind === 2) {
      (parent as Record<string | number, unknown>)[key] = randomValue(rng);
    } else if (!Array.isArray(parent)) {
      const v = parent[key as string];
      delete parent[key as string];
      parent[
        pick(rng, [`${String(key)}x`, String(key).toUpperCase(), '', '$ref', '__proto__', 'constructor', '0', 'a/b~c'])
      ] = v;
    }
    return JSON.stringify(doc, null, pick(rng, [0, 2, '\t']));
  }
  if (kind === 4) {
    const at = Math.floor(rng() * (text.length + 1));
    return text.slice(0, at) + pick(rng, GARBAGE) + text.slice(at);
  }
  if (kind === 5) return text.slice(0, Math.floor(rng() * text.length));
  if (kind === 6) {
    const at = Math.floor(rng() * text.length);
    return text.slice(0, at) + text.slice(at + 1 + Math.floor(rng() * 20));
  }
  // duplicate a line (often a duplicate key)
  const lines = text.split('\n');
  const i = Math.floor(rng() * lines.length);
  lines.splice(i, 0, lines[i]!);
  return lines.join('\n');
}

function assertLocated(text: string, r: StoryValidation, where: string): void {
  const lineCount = text.split(/\r\n|\r|\n/).length;
  expect(r.valid, where).toBe(r.errors.length === 0);
  for (const e of [...r.errors, ...r.warnings]) {
    expect(typeof e.pointer, where).toBe('string');
    expect(e.pointer === '' || e.pointer.startsWith('/'), where).toBe(true);
    expect(e.line, where).toBeGreaterThanOrEqual(1);
    expect(e.line, where).toBeLessThanOrEqual(lineCount);
    expect(e.column, where).toBeGreaterThanOrEqual(1);
    expect(e.message.length, where).toBeGreaterThan(0);
    expect(e.suggestion.length, where).toBeGreaterThan(0);
    expect(e.file, where).toBe('fuzz.json');
  }
  let parsedOk = true;
  try {
    JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    parsedOk = false;
  }
  if (!parsedOk) {
    expect(r.valid, where).toBe(false);
    expect(
      r.errors.map((e) => e.code),
      where,
    ).toEqual(['json-syntax']);
  }
  if (r.valid) expect(r.story, where).not.toBeNull();
}

// 4000 and 1500 edits in `npm test` (about 2 s on a quiet machine), five times more in
// `npm run test:chaos`; the timeouts grow with the edits so a busy machine only makes it slower.
const EDITS = chaosRounds(4000, 20_000);
const STRUCTURAL_EDITS = chaosRounds(1500, 7500);

describe('mutation fuzzing of valid stories', () => {
  it(`never crashes and locates every error, over ${EDITS} random edits`, { timeout: chaosTimeout(EDITS, 25) }, () => {
    const seed = 0x5eed_2025;
    const rng = seededRandom(seed);
    let invalid = 0;
    for (let i = 0; i < EDITS; i++) {
      let text = pick(rng, SEEDS);
      const edits = 1 + Math.floor(rng() * 3);
      for (let k = 0; k < edits; k++) {
        try {
          text = mutate(text, rng);
        } catch {
          break; // a raw-text edit made it unparseable: further structural edits are impossible
        }
      }
      const where = `seed ${seed}, iteration ${i}: ${JSON.stringify(text.slice(0, 200))}`;
      let r: StoryValidation;
      try {
        r = validateStoryText(text, 'fuzz.json');
      } catch (e) {
        throw new Error(`validateStoryText threw at ${where}: ${(e as Error).stack}`, { cause: e });
      }
      assertLocated(text, r, where);
      if (!r.valid) invalid++;
      // Errors at a pointer must name a place that exists, or a missing field of a place that exists.
      if (r.errors.every((e) => e.code !== 'json-syntax') && r.errors.length) {
        const doc = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
        for (const e of r.errors) {
          const segs = fromPointer(e.pointer);
          const parentSegs = e.code === 'required' ? segs.slice(0, -1) : segs;
          let cur: unknown = doc;
          for (const s of parentSegs) {
            expect(cur !== null && typeof cur === 'object' && s in (cur as object), `${where}: ${e.pointer}`).toBe(
              true,
            );
            cur = (cur as Record<string, unknown>)[s];
          }
        }
      }
    }
    // The edits really do break most stories (the test is not vacuous).
    expect(invalid).toBeGreaterThan(EDITS / 2);
  });

  it(`migration never crashes and never loses a field, over ${STRUCTURAL_EDITS} random structural edits`, {
    timeout: chaosTimeout(STRUCTURAL_EDITS, 50),
  }, () => {
    const rng = seededRandom(0xabc123);
    let checked = 0;
    for (let i = 0; i < STRUCTURAL_EDITS; i++) {
      let text = pick(rng, SEEDS);
      try {
        text = mutate(text, rng);
      } catch {
        continue;
      }
      const m = migrateStoryText(text, 'fuzz.json');
      if (m.text === null) continue;
      const before = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
      const after = JSON.parse(m.text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
      for (const [k, v] of Object.entries(before)) {
        if (k === 'schema_version' || k === '$schema') continue;
        if (k === 'execution' && v && typeof v === 'object' && !Array.isArray(v)) {
          expect(after.execution, `iteration ${i}`).toMatchObject(v as object);
        } else expect(after[k], `iteration ${i}: ${k}`).toEqual(v);
      }
      assertLocated(m.text, m.report, `migration iteration ${i}`);
      checked++;
    }
    // Edits that break the JSON, or that migration refuses, are skipped above; the seeded run checks 993 of 1500,
    // so a change that makes most edits skip fails here instead of passing while checking nothing.
    expect(checked, 'edited stories migrated and compared field by field').toBeGreaterThanOrEqual(
      Math.floor(STRUCTURAL_EDITS * 0.6),
    );
  });
});
