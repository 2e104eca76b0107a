import fs from 'node:fs/promises';
import path from 'node:path';
import { applyEdits, modify, type FormattingOptions, type JSONPath } from 'jsonc-parser';
import {
  chooseStoryVersion,
  EXECUTION_DEFAULTS,
  type StoryIssue,
  type StorySchemaVersion,
} from '../../../shared/stories';
import { locate, parseJsonText } from './json-text';
import { readInputFile } from './story-files';
import { validateStoryText, type StoryValidation } from './validate-story';

/*
 * Migration 4.1/4.2 → 4.3 as text edits on the original file: every existing field keeps its
 * value, its position and its formatting; only schema_version (and a story-schema $schema
 * URL) change, and the 4.3 defaults are added where absent. Nothing that would change what a
 * story means is "fixed": a so_that shorter than 4.3's 10 characters stays as written and is
 * reported as an error to fix by hand.
 */

export interface StoryMigration {
  file: string;
  /** Version the source was read as; null when it could not be parsed. */
  from: StorySchemaVersion | null;
  /** True when the migrated text differs from the source. */
  changed: boolean;
  /** Migrated text; null when the source could not be parsed. */
  text: string | null;
  /** What was changed, one line each, for a person. */
  changes: string[];
  /**
   * Validation of the migrated text against 4.3 (or of the source when it could not be
   * parsed). Its errors are what migration could not satisfy; lines/columns point into `text`.
   */
  report: StoryValidation;
}

function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const m = /^([ \t]+)"/m.exec(text);
  if (m && m[1]!.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: m ? m[1]!.length : 2, eol };
}

export function migrateStoryText(source: string, file = '<input>'): StoryMigration {
  const parsed = parseJsonText(source);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    return { file, from: null, changed: false, text: null, changes: [], report: validateStoryText(source, file) };
  }
  const doc = parsed.value as Record<string, unknown>;
  const decision = chooseStoryVersion(doc);
  const from = decision.declared ?? decision.version;
  if (decision.declared === '4.3') {
    return { file, from, changed: false, text: source, changes: [], report: validateStoryText(source, file) };
  }

  const formattingOptions = detectFormatting(source);
  // Work on the text without a BOM so jsonc-parser offsets line up; put it back at the end.
  const bom = source.startsWith('\uFEFF') ? '\uFEFF' : '';
  let text = parsed.text;
  const changes: string[] = [];
  const edit = (p: JSONPath, value: unknown, getInsertionIndex?: (props: string[]) => number) => {
    text = applyEdits(text, modify(text, p, value, { formattingOptions, getInsertionIndex }));
  };

  if (doc.schema_version !== '4.3') {
    const had = 'schema_version' in doc;
    edit(['schema_version'], '4.3', (props) => (props[0] === '$schema' ? 1 : 0));
    changes.push(had ? `schema_version: ${JSON.stringify(doc.schema_version)} → "4.3"` : 'added schema_version "4.3"');
  }
  if (
    typeof doc.$schema === 'string' &&
    /story/i.test(doc.$schema) &&
    /(^|[^0-9.])4\.[12](?![0-9])/.test(doc.$schema)
  ) {
    const next = doc.$schema.replace(/(^|[^0-9.])4\.[12](?![0-9])/, '$14.3');
    edit(['$schema'], next);
    changes.push(`$schema: ${JSON.stringify(doc.$schema)} → ${JSON.stringify(next)}`);
  }
  const execution = doc.execution;
  if (execution === undefined) {
    edit(['execution'], { ...EXECUTION_DEFAULTS });
    changes.push(
      `added execution defaults (max_retries ${EXECUTION_DEFAULTS.max_retries}, timeout_minutes ${EXECUTION_DEFAULTS.timeout_minutes}, checkpoint_frequency "${EXECUTION_DEFAULTS.checkpoint_frequency}")`,
    );
  } else if (typeof execution === 'object' && execution !== null && !Array.isArray(execution)) {
    for (const [k, v] of Object.entries(EXECUTION_DEFAULTS)) {
      if (!(k in execution)) {
        edit(['execution', k], v);
        changes.push(`added execution.${k} ${JSON.stringify(v)} (the default)`);
      }
    }
  }
  const out = bom + text;
  return { file, from, changed: out !== source, text: out, changes, report: validateStoryText(out, file) };
}

/** `stories/auth.json` → `stories/auth.v43.json`. */
export function migratedFileName(file: string): string {
  const dir = path.dirname(file);
  const base = path.basename(file).replace(/\.json$/i, '');
  return path.join(dir, `${base}.v43.json`);
}

export interface MigrationWrite {
  file: string;
  migration: StoryMigration | null;
  /** Where the migrated text went, when written. */
  writtenTo: string | null;
  backupFile: string | null;
  /** Why nothing was written, for a person; null when written. */
  notWritten: string | null;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    await fs.writeFile(tmp, text, 'utf8');
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/**
 * Migrates a story file on disk. Default: writes `<name>.v43.json` beside it (even when 4.3
 * errors remain, so they can be fixed in the new file). `inPlace`: keeps the original as
 * `<name>.json.backup` and rewrites the file, but only when the result is valid 4.3 — a file
 * that validated before must not be replaced by one that does not.
 */
export async function migrateStoryFile(
  file: string,
  opts: { inPlace?: boolean; display?: string } = {},
): Promise<MigrationWrite> {
  const display = opts.display ?? file;
  const read = await readInputFile(file);
  if (!read.ok) return { file, migration: null, writtenTo: null, backupFile: null, notWritten: read.message };
  const migration = migrateStoryText(read.text, display);
  const base = { file, migration, writtenTo: null, backupFile: null };
  if (migration.text === null)
    return {
      ...base,
      notWritten: 'The file is not a readable JSON object, so it cannot be migrated; fix the errors first.',
    };
  if (!migration.changed) return { ...base, notWritten: 'Already schema 4.3: nothing to migrate.' };
  if (!opts.inPlace) {
    const target = migratedFileName(file);
    await writeAtomically(target, migration.text);
    return { ...base, writtenTo: target, notWritten: null };
  }
  if (!migration.report.valid) {
    // Locate the errors in the source, which is the file the person will edit.
    const n = migration.report.errors.length;
    return {
      ...base,
      migration: { ...migration, report: relocate(migration.report, read.text, display) },
      notWritten: `Not rewritten: ${n} problem${n === 1 ? '' : 's'} must be fixed by hand first (listed below, at their place in the original file); or run without --in-place to get a .v43.json to edit.`,
    };
  }
  const backup = `${file}.backup`;
  if (await exists(backup)) {
    const previous = await fs.readFile(backup, 'utf8').catch(() => null);
    if (previous !== read.text) {
      return {
        ...base,
        notWritten: `Not rewritten: ${path.basename(backup)} already exists and holds other content; move it away first so no backup is lost.`,
      };
    }
  }
  await writeAtomically(backup, read.text);
  await writeAtomically(file, migration.text);
  return { ...base, writtenTo: file, backupFile: backup, notWritten: null };
}

/** Re-locates errors found in the migrated text at the same pointers in the source text (the edits only added fields). */
function relocate(report: StoryValidation, source: string, file: string): StoryValidation {
  const parsed = parseJsonText(source);
  if (!parsed.ok) return report;
  const move = (e: StoryIssue): StoryIssue => {
    const pos = locate(
      parsed.tree,
      parsed.lines,
      e.pointer,
      e.code === 'required' || e.code === 'unknown-field' ? 'key' : 'value',
    );
    return { ...e, file, line: pos.line, column: pos.column };
  };
  return { ...report, file, errors: report.errors.map(move), warnings: report.warnings.map(move) };
}
