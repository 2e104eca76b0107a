import type { FileReport, StoryIssue } from '../../../shared/stories';
import { validateWaveConfigText, type ConfigValidation } from '../config/wave-config';
import { parsePrdText, type PrdValidation } from '../prd/prd-parser';
import { locate, parseJsonText } from './json-text';
import { collectInputFiles, readInputFile, type InputFile, type InputKind } from './story-files';
import { unreadableStoryReport, validateStoryText, type StoryValidation } from './validate-story';

/*
 * Validation of everything a person points at: stories, PRDs and wave.config.json, each with
 * its own report, plus the one check that needs all files at once (duplicate story ids).
 */

export type AnyValidation = StoryValidation | PrdValidation | ConfigValidation;

export interface ValidatedFile {
  input: InputFile;
  /** The text as read (null when it could not be read). */
  text: string | null;
  report: AnyValidation;
}

export function validateText(kind: InputKind, text: string, file: string): AnyValidation {
  try {
    if (kind === 'prd') return parsePrdText(text, file);
    if (kind === 'config') return validateWaveConfigText(text, file);
    return validateStoryText(text, file);
  } catch (e) {
    // The validators report every problem as an issue; should one still throw (a parser bug,
    // an exhausted stack), this file is refused and the others of the folder go on.
    return unreadable(
      kind,
      file,
      'unreadable',
      `WAVE could not read this file: ${(e as Error)?.message ?? String(e)}.`,
      'Check that it is the right file and not generated or corrupted.',
    );
  }
}

function unreadable(kind: InputKind, file: string, code: string, message: string, suggestion: string): AnyValidation {
  const r = unreadableStoryReport(file, message, suggestion, code);
  if (kind === 'prd') return { ...r, kind: 'prd', prd: null };
  if (kind === 'config') return { ...r, kind: 'config', config: null };
  return r;
}

export async function validateInputFile(input: InputFile): Promise<ValidatedFile> {
  const read = await readInputFile(input.path);
  if (!read.ok)
    return {
      input,
      text: null,
      report: unreadable(input.kind, input.display, read.code, read.message, read.suggestion),
    };
  return { input, text: read.text, report: validateText(input.kind, read.text, input.display) };
}

/**
 * Marks every story whose story_id another file also uses. Each report gets an error at its
 * story_id naming the other file(s): importing both would silently keep only one.
 */
export function markDuplicateStoryIds(files: readonly ValidatedFile[]): void {
  const byId = new Map<string, ValidatedFile[]>();
  for (const f of files) {
    if (f.report.kind !== 'story' || !f.report.storyId) continue;
    byId.set(f.report.storyId, [...(byId.get(f.report.storyId) ?? []), f]);
  }
  for (const [id, group] of byId) {
    if (group.length < 2) continue;
    for (const f of group) {
      const others = group.filter((g) => g !== f).map((g) => g.input.display);
      const parsed = f.text !== null ? parseJsonText(f.text) : null;
      const pos = parsed?.ok ? locate(parsed.tree, parsed.lines, '/story_id') : { line: 1, column: 1 };
      const issue: StoryIssue = {
        severity: 'error',
        code: 'duplicate-story-id',
        file: f.input.display,
        pointer: '/story_id',
        line: pos.line,
        column: pos.column,
        message: `story_id "${id}" is also used by ${others.slice(0, 3).join(', ')}${others.length > 3 ? ` and ${others.length - 3} more file${others.length - 3 === 1 ? '' : 's'}` : ''}; importing ${others.length === 1 ? 'both' : 'all of them'} would keep only one.`,
        suggestion: `Give one of the stories a new story_id, or remove the copy (e.g. an old file left beside its .v43.json).`,
        value: id,
      };
      const r = f.report as StoryValidation;
      r.errors.push(issue);
      r.errors.sort((a, b) => a.line - b.line || a.column - b.column);
      r.valid = false;
      r.story = null;
    }
  }
}

export interface ValidationRun {
  files: ValidatedFile[];
  /** Reports in input order, including paths that do not exist. */
  reports: FileReport[];
  skipped: Array<{ display: string; reason: string }>;
  allValid: boolean;
}

/** Validates files and folders (recursively), then checks story ids across all of them. */
export async function validatePaths(paths: readonly string[], cwd: string): Promise<ValidationRun> {
  const inputs = await collectInputFiles(paths, cwd);
  const files: ValidatedFile[] = [];
  for (const input of inputs.files) files.push(await validateInputFile(input));
  markDuplicateStoryIds(files);
  const reports: FileReport[] = [
    ...inputs.problems.map((p) => stripPayload(unreadable('story', p.display, 'not-found', p.message, p.suggestion))),
    ...files.map((f) => stripPayload(f.report)),
  ];
  return {
    files,
    reports,
    skipped: inputs.skipped.map((s) => ({ display: s.display, reason: s.reason })),
    allValid: reports.every((r) => r.valid),
  };
}

/** The report without the parsed document, as the CLI and IPC send it. */
export function stripPayload(r: AnyValidation): FileReport {
  return { file: r.file, kind: r.kind, valid: r.valid, version: r.version, errors: r.errors, warnings: r.warnings };
}
