import fs from 'node:fs';
import path from 'node:path';
import type { ImportFileResult } from '../../../shared/stories';
import { loadWaveConfig, WaveConfigError } from '../../core/config';
import { ensureProject } from '../../core/prd';
import type { CoreServices } from '../../core/services';
import { CliError, usageError, type CliCommand, type CliContext } from '../cli-types';
import { withCliCore } from '../core-runtime';
import { importProgress } from '../progress';
import { renderIssue } from './issue-text';

/** Opens the core services the way every CLI command does (WAVE_HOME / DATABASE_URL), runs fn, always closes them. */
export function withCliStore<T>(ctx: CliContext, fn: (core: CoreServices) => Promise<T>): Promise<T> {
  return withCliCore(ctx, fn, { log: 'always' });
}

/** The repository a command works on: --project, else the nearest folder up from cwd with wave.config.json or .git, else cwd. */
export function resolveProjectRepo(cwd: string, explicit: string | undefined): string {
  if (explicit) {
    const abs = path.resolve(cwd, explicit);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory())
      throw usageError(`--project ${explicit}: no such folder. Point it at the repository the stories are for.`);
    return abs;
  }
  let dir = path.resolve(cwd);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'wave.config.json')) || fs.existsSync(path.join(dir, '.git'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(cwd);
    dir = up;
  }
}

function renderResult(r: ImportFileResult): string {
  const mark = { imported: '+', updated: '~', unchanged: '=', invalid: '✗', skipped: '-' }[r.status];
  return [
    `${mark} ${r.file}: ${r.message}`,
    ...r.errors.map((e) => renderIssue(e.file, e, 'error', '    ')),
    ...r.warnings.map((w) => renderIssue(w.file, w, 'warning', '    ')),
    ...r.voided.map((v) => `    ! approval of PRD ${v.prdId} voided: ${v.reason}`),
  ].join('\n');
}

export const importCommand: CliCommand = {
  name: 'import',
  summary: 'Import stories (*.json) and PRDs (*.md) from files and folders into the WAVE database',
  usage: 'wave import <paths…> [--project <repo>] [--prd <id>] [--json]',
  help: [
    'Each file gets its own result: imported, updated, unchanged, invalid (with every error located) or skipped.',
    'Each file is imported in its own transaction: a broken file imports nothing and the others still import.',
    'Re-importing identical content changes nothing. Changing a story or PRD that was approved voids the approval.',
    '--project: the repository the stories are for (default: the nearest folder up with wave.config.json or .git).',
    '--prd: add the imported stories to that PRD (otherwise a PRD covers the stories in its front matter, or,',
    'without a list, the stories imported with it from its folder).',
  ].join('\n'),
  options: {
    project: { type: 'string' },
    prd: { type: 'string' },
  },
  async run(ctx, args) {
    if (args.positionals.length === 0)
      throw usageError('Name at least one story file, PRD or folder: wave import stories/');
    const repo = resolveProjectRepo(ctx.cwd, args.values.project as string | undefined);
    let config;
    try {
      config = (await loadWaveConfig(repo)).config;
    } catch (e) {
      if (e instanceof WaveConfigError) throw new CliError(`The project's ${e.message}`, 1, 'invalid_config');
      throw e;
    }
    const report = await withCliStore(ctx, async (core) => {
      const project = await ensureProject(core.store, repo, config);
      return core.importer.importPaths(args.positionals, {
        projectId: project.id,
        actor: ctx.settings.actor,
        cwd: ctx.cwd,
        prdId: (args.values.prd as string | undefined) || undefined,
        onProgress: importProgress((l) => ctx.info(l)),
      });
    });
    ctx.output(report, () => {
      const s = report.summary;
      return [
        ...report.files.map(renderResult),
        '',
        `Project ${report.projectId} (${repo}): ${s.imported} imported, ${s.updated} updated, ${s.unchanged} unchanged, ${s.invalid} invalid, ${s.skipped} skipped.`,
      ].join('\n');
    });
    return report.summary.invalid > 0 ? 1 : 0;
  },
};
