import type { FileReport, StoryIssue } from '../../../shared/stories';
import { migrateStoryFile, validatePaths, type MigrationWrite } from '../../core/stories';
import { displayPath } from '../../core/stories/story-files';
import { usageError, type CliCommand } from '../cli-types';
import { renderIssue } from './issue-text';

interface JsonIssue {
  pointer: string;
  line: number;
  column: number;
  message: string;
  suggestion: string;
  code: string;
  value?: unknown;
}

interface JsonFile {
  file: string;
  kind: FileReport['kind'];
  valid: boolean;
  version: FileReport['version'];
  errors: JsonIssue[];
  warnings: JsonIssue[];
  migration?: {
    from: string | null;
    written: string | null;
    backup: string | null;
    changes: string[];
    /** Why nothing was written (already 4.3, or --in-place refused). */
    notWritten: string | null;
    /** Whether the migrated story is valid 4.3; its errors must be fixed by hand. */
    valid: boolean;
    errors: JsonIssue[];
    warnings: JsonIssue[];
  };
}

function jsonIssue(i: StoryIssue): JsonIssue {
  const out: JsonIssue = {
    pointer: i.pointer,
    line: i.line,
    column: i.column,
    message: i.message,
    suggestion: i.suggestion,
    code: i.code,
  };
  if (i.value !== undefined) out.value = i.value;
  return out;
}

function renderFile(f: JsonFile): string {
  const head = `${f.valid ? '✓' : '✗'} ${f.file}${f.version ? ` (schema ${f.version})` : f.kind !== 'story' ? ` (${f.kind})` : ''}${
    f.valid ? '' : `: ${f.errors.length} error${f.errors.length === 1 ? '' : 's'}`
  }`;
  const lines = [
    head,
    ...f.errors.map((e) => renderIssue(f.file, e, 'error')),
    ...f.warnings.map((w) => renderIssue(f.file, w, 'warning')),
  ];
  const m = f.migration;
  if (m) {
    if (m.written)
      lines.push(
        `  → migrated ${m.from ?? '?'} → 4.3: wrote ${m.written}${m.backup ? ` (original kept as ${m.backup})` : ''}`,
        ...m.changes.map((c) => `      · ${c}`),
      );
    if (m.notWritten) lines.push(`  → ${m.notWritten}`);
    if (!m.valid)
      lines.push(
        `  → the migrated story still needs ${m.errors.length} fix${m.errors.length === 1 ? '' : 'es'} by hand:`,
        ...m.errors.map((e) => renderIssue(m.written ?? f.file, e, 'error')),
      );
  }
  return lines.join('\n');
}

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'Check stories (v4.1–4.3), PRDs and wave.config.json; optionally migrate stories to 4.3',
  usage: 'wave validate <paths…> [--json] [--migrate] [--in-place]',
  help: [
    'Folders are searched recursively: *.json are stories (wave.config.json is the project config), *.md with front matter are PRDs.',
    'Every problem is reported with its line, column and JSON pointer, and a suggested fix. Unknown fields are warnings.',
    '--migrate writes <name>.v43.json beside each 4.1/4.2 story, keeping every field; with --in-place the story is',
    'rewritten instead (the original kept as <name>.json.backup), only when the result is valid 4.3.',
    'Exit code: 0 all valid, 1 something invalid (or a migration left something to fix), 2 bad usage.',
  ].join('\n'),
  options: {
    migrate: { type: 'boolean' },
    'in-place': { type: 'boolean' },
  },
  async run(ctx, args) {
    if (args.positionals.length === 0)
      throw usageError('Name at least one story file, PRD or folder: wave validate stories/');
    const migrate = args.values.migrate === true;
    const inPlace = args.values['in-place'] === true;
    if (inPlace && !migrate)
      throw usageError('--in-place only applies to --migrate: wave validate --migrate --in-place <paths…>');

    const run = await validatePaths(args.positionals, ctx.cwd);
    const files: JsonFile[] = run.reports.map((r) => ({
      file: r.file,
      kind: r.kind,
      valid: r.valid,
      version: r.version,
      errors: r.errors.map(jsonIssue),
      warnings: r.warnings.map(jsonIssue),
    }));
    let ok = run.allValid;
    if (migrate) {
      for (const vf of run.files) {
        if (vf.input.kind !== 'story' || vf.text === null) continue;
        const entry = files.find((f) => f.file === vf.input.display);
        if (!entry) continue;
        const w: MigrationWrite = await migrateStoryFile(vf.input.path, { inPlace, display: vf.input.display });
        if (!w.migration || w.migration.text === null) continue; // unparseable: the validation errors already say why
        const rep = w.migration.report;
        entry.migration = {
          from: w.migration.from,
          written: w.writtenTo ? displayPath(w.writtenTo, ctx.cwd) : null,
          backup: w.backupFile ? displayPath(w.backupFile, ctx.cwd) : null,
          changes: w.migration.changes,
          notWritten: w.notWritten,
          valid: rep.valid,
          errors: rep.errors.map(jsonIssue),
          warnings: rep.warnings.map(jsonIssue),
        };
        if (!rep.valid) ok = false;
      }
    }
    const invalid = files.filter((f) => !f.valid).length;
    ctx.output({ files }, () => {
      const out = files.map(renderFile);
      for (const s of run.skipped) out.push(`- ${s.display}: skipped, ${s.reason}`);
      out.push(
        '',
        `${files.length} file${files.length === 1 ? '' : 's'} checked: ${files.length - invalid} valid, ${invalid} invalid.`,
      );
      return out.join('\n');
    });
    return ok ? 0 : 1;
  },
};
