import path from 'node:path';
import type {
  FileReport,
  ImportFileResult,
  ImportReport,
  StoryDocument,
  StoryIssue,
  VoidedApproval,
} from '../../../shared/stories';
import type { NewStory, Project } from '../../store';
import { repositories, type StoreRepos } from '../../store/repos';
import type { WaveConfig } from '../config/wave-config';
import { canonicalJson } from '../../../shared/canonical-json';
import { sha256Hex } from '../hash';
import { storyContentHash } from '../stories/hash';
import { collectInputFiles } from '../stories/story-files';
import { markDuplicateStoryIds, validateInputFile, type ValidatedFile } from '../stories/validate-files';
import type { StoryValidation } from '../stories/validate-story';
import type { PrdValidation } from './prd-parser';
import { voidPrdDecision, type PrdStore } from './prd-service';

/*
 * Import of story files (*.json) and PRDs (*.md) into the store.
 *
 * - Each file gets its own result: imported, updated, unchanged, invalid (with the errors)
 *   or skipped (e.g. a wave.config.json in the folder).
 * - Each file is written in its own transaction: a broken file imports nothing and does not
 *   stop the others (one bad story in a folder of forty should not hide the other 39).
 * - Idempotent by content hash: stories by the hash of their canonical JSON (reformatting is
 *   not a change), PRDs by the sha256 of their exact text.
 * - A change to a story or to the text / story list of a PRD voids the PRD's live decision,
 *   and the file's result says so.
 */

export interface ImportOptions {
  projectId: string;
  /** Who imports (audit log). */
  actor: string;
  cwd: string;
  /** Link the imported stories to this (already imported or same-batch) PRD. */
  prdId?: string;
  /** Called after each file is validated and after each is imported (`done` of `total` in that phase). */
  onProgress?: (p: { phase: 'validate' | 'import'; done: number; total: number }) => void;
}

const emptySummary = () => ({ imported: 0, updated: 0, unchanged: 0, invalid: 0, skipped: 0 });

function projectIdFor(repoPath: string): string {
  const slug =
    path
      .basename(repoPath)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'project';
  return `${slug.slice(0, 40)}-${sha256Hex(repoPath).slice(0, 8)}`;
}

/** The project row of a repository, created on first use; its config is refreshed from `config` when given. */
export async function ensureProject(store: PrdStore, repoPath: string, config?: WaveConfig): Promise<Project> {
  const abs = path.resolve(repoPath);
  return repositories(store).transaction(async (tx) => {
    const existing = await tx.projects.byRepoPath(abs, { forUpdate: true });
    const now = new Date();
    if (existing) {
      if (config && canonicalJson(existing.config) !== canonicalJson(config)) {
        return tx.projects.update(existing.id, {
          config: config as unknown as Record<string, unknown>,
          targetBranch: config.targetBranch,
          updatedAt: now,
        });
      }
      return existing;
    }
    return tx.projects.insert({
      id: projectIdFor(abs),
      name: path.basename(abs) || abs,
      repoPath: abs,
      targetBranch: config?.targetBranch ?? 'main',
      config: (config ?? {}) as unknown as Record<string, unknown>,
      createdAt: now,
      updatedAt: now,
    });
  });
}

function describeStoryChange(before: Record<string, unknown>, after: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const changed = keys.filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k]));
  if (changed.length === 0) return 'its content changed';
  const shown = changed.slice(0, 4).join(', ');
  return `changed ${shown}${changed.length > 4 ? ` and ${changed.length - 4} more field${changed.length - 4 === 1 ? '' : 's'}` : ''}`;
}

export class StoryImporter {
  private readonly repos: StoreRepos;

  constructor(
    store: PrdStore,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.repos = repositories(store);
  }

  /** Imports files and folders (recursively). Never throws for a bad file: it becomes an `invalid` result. */
  async importPaths(paths: readonly string[], opts: ImportOptions): Promise<ImportReport> {
    const inputs = await collectInputFiles(paths, opts.cwd);
    const validated: ValidatedFile[] = [];
    for (const input of inputs.files) {
      validated.push(await validateInputFile(input));
      opts.onProgress?.({ phase: 'validate', done: validated.length, total: inputs.files.length });
    }
    markDuplicateStoryIds(validated);

    const results: ImportFileResult[] = inputs.problems.map((p) => ({
      file: p.display,
      kind: 'story',
      status: 'invalid',
      id: null,
      version: null,
      message: p.message,
      errors: [
        {
          severity: 'error',
          code: 'not-found',
          file: p.display,
          pointer: '',
          line: 1,
          column: 1,
          message: p.message,
          suggestion: p.suggestion,
        },
      ],
      warnings: [],
      voided: [],
    }));

    const storyFiles = validated.filter((f) => f.report.kind === 'story');
    const prdFiles = validated.filter((f) => f.report.kind === 'prd');
    for (const s of inputs.skipped) {
      results.push({
        file: s.display,
        kind: s.display.toLowerCase().endsWith('.json') ? 'story' : 'prd',
        status: 'skipped',
        id: null,
        version: null,
        message: `Skipped: ${s.reason}.`,
        errors: [],
        warnings: [],
        voided: [],
      });
    }
    for (const f of validated.filter((v) => v.report.kind === 'config')) {
      results.push(
        skipped(
          f.report,
          'story',
          `${f.input.display} is a project config, not a story: WAVE reads wave.config.json from the project itself.`,
        ),
      );
    }

    // PRDs without a story list cover the valid stories imported with them, from their folder down.
    const links = new Map<string, string>(); // storyId → prdId
    const listless = prdFiles
      .map((f) => f.report as PrdValidation)
      .filter((r) => r.prd && r.prd.storyIds === null)
      .map((r) => ({ id: r.prd!.id, dir: path.dirname(validated.find((v) => v.report === r)!.input.path) }));
    const batchLinked = new Map<string, string[]>(); // prdId → story ids
    for (const f of storyFiles) {
      const r = f.report as StoryValidation;
      if (!r.story) continue;
      const id = r.story.story_id;
      const owner = listless
        .filter((p) => f.input.path.startsWith(p.dir + path.sep))
        .sort((a, b) => b.dir.length - a.dir.length)[0];
      const prdId = opts.prdId ?? owner?.id;
      if (prdId) {
        links.set(id, prdId);
        batchLinked.set(prdId, [...(batchLinked.get(prdId) ?? []), id]);
      }
    }
    for (const f of prdFiles) {
      const r = f.report as PrdValidation;
      for (const id of r.prd?.storyIds ?? []) links.set(id, r.prd!.id);
    }

    const toImport = storyFiles.length + prdFiles.length;
    let imported = 0;
    const step = () => opts.onProgress?.({ phase: 'import', done: ++imported, total: toImport });
    for (const f of storyFiles) {
      results.push(await this.importStory(f, opts, links));
      step();
    }
    for (const f of prdFiles) {
      results.push(await this.importPrd(f, opts, batchLinked));
      step();
    }
    if (
      opts.prdId &&
      batchLinked.has(opts.prdId) &&
      !prdFiles.some((f) => (f.report as PrdValidation).prd?.id === opts.prdId)
    ) {
      await this.linkToExistingPrd(opts.prdId, batchLinked.get(opts.prdId)!, opts, results);
    }

    const summary = emptySummary();
    for (const r of results) summary[r.status]++;
    return { projectId: opts.projectId, files: results, summary };
  }

  private async importStory(
    f: ValidatedFile,
    opts: ImportOptions,
    links: Map<string, string>,
  ): Promise<ImportFileResult> {
    const r = f.report as StoryValidation;
    const base = {
      file: f.input.display,
      kind: 'story' as const,
      id: r.storyId,
      version: r.version,
      warnings: r.warnings,
      voided: [] as VoidedApproval[],
    };
    if (!r.valid || !r.story) {
      return {
        ...base,
        status: 'invalid',
        errors: r.errors,
        message: `Not imported: ${r.errors.length} problem${r.errors.length === 1 ? '' : 's'} (first at line ${r.errors[0]?.line ?? 1}).`,
      };
    }
    const story: StoryDocument = r.story;
    const hash = storyContentHash(story);
    const now = this.clock();
    const sourcePath = f.input.path;
    const linkedPrd = links.get(story.story_id) ?? null;
    return this.repos.transaction(async (tx) => {
      const voided: VoidedApproval[] = [];
      const existing = await tx.stories.byId(opts.projectId, story.story_id, { forUpdate: true });
      if (existing && existing.contentHash === hash) {
        const set: Partial<NewStory> = {};
        if (existing.sourcePath !== sourcePath) set.sourcePath = sourcePath;
        if (linkedPrd && existing.prdId !== linkedPrd) set.prdId = linkedPrd;
        if (Object.keys(set).length) await tx.stories.update(opts.projectId, story.story_id, set);
        return {
          ...base,
          status: 'unchanged',
          errors: [],
          message: `Unchanged: ${story.story_id} is already imported with this content.`,
        };
      }
      const values = {
        projectId: opts.projectId,
        storyId: story.story_id,
        prdId: linkedPrd ?? existing?.prdId ?? null,
        title: story.title,
        domain: story.domain,
        waveNumber: story.wave_number,
        schemaVersion: r.version!,
        content: story as Record<string, unknown>,
        contentHash: hash,
        sourcePath,
        dependencies: story.dependencies ?? [],
        updatedAt: now,
      };
      if (existing) await tx.stories.update(opts.projectId, story.story_id, values);
      else await tx.stories.insert({ ...values, createdAt: now });

      // Every PRD of the project that covers this story had its decision taken on other content.
      const covering = await tx.prds.idsCovering(opts.projectId, story.story_id);
      const what = existing
        ? `story ${story.story_id} ${describeStoryChange(existing.content, story as Record<string, unknown>)} (re-imported from ${f.input.display})`
        : `story ${story.story_id} was imported after the decision`;
      for (const id of covering) {
        if (await voidPrdDecision(tx, id, what, opts.actor, now)) voided.push({ prdId: id, reason: what });
      }
      await tx.audit.append({
        at: now,
        actor: opts.actor,
        action: existing ? 'story.update' : 'story.import',
        subjectType: 'story',
        subjectId: `${opts.projectId}/${story.story_id}`,
        detail: {
          contentHash: hash,
          previousHash: existing?.contentHash ?? null,
          sourcePath,
          schemaVersion: r.version,
          voided: voided.map((v) => v.prdId),
        },
      });
      const voidNote = voided.length
        ? ` The approval of ${voided.map((v) => v.prdId).join(', ')} is now void: approve again after review.`
        : '';
      return {
        ...base,
        status: existing ? 'updated' : 'imported',
        errors: [],
        voided,
        message: `${existing ? 'Updated' : 'Imported'} ${story.story_id} (schema ${r.version}).${voidNote}`,
      };
    });
  }

  private async importPrd(
    f: ValidatedFile,
    opts: ImportOptions,
    batchLinked: Map<string, string[]>,
  ): Promise<ImportFileResult> {
    const r = f.report as PrdValidation;
    const base = {
      file: f.input.display,
      kind: 'prd' as const,
      id: r.prd?.id ?? null,
      version: null,
      voided: [] as VoidedApproval[],
    };
    if (!r.valid || !r.prd || f.text === null) {
      return {
        ...base,
        status: 'invalid',
        errors: r.errors,
        warnings: r.warnings,
        message: `Not imported: ${r.errors.length} problem${r.errors.length === 1 ? '' : 's'} (first at line ${r.errors[0]?.line ?? 1}).`,
      };
    }
    const prd = r.prd;
    const text = f.text;
    const now = this.clock();
    return this.repos.transaction(async (tx) => {
      const warnings: StoryIssue[] = [...r.warnings];
      const existing = (await tx.prds.byId(prd.id, { forUpdate: true })) ?? undefined;
      if (existing && existing.projectId && existing.projectId !== opts.projectId) {
        const e: StoryIssue = {
          severity: 'error',
          code: 'prd-id-taken',
          file: f.input.display,
          pointer: '/id',
          line: 1,
          column: 1,
          message: `PRD id "${prd.id}" already belongs to project ${existing.projectId}.`,
          suggestion:
            'Give this PRD another id in its front matter, or import it with --project pointing at that project.',
        };
        return { ...base, status: 'invalid', errors: [e], warnings, message: e.message };
      }
      const storyIds = prd.storyIds ?? [
        ...new Set([...(existing?.storyIds ?? []), ...(batchLinked.get(prd.id) ?? [])]),
      ];
      const have = new Set((await tx.stories.withIds(opts.projectId, storyIds)).map((s) => s.storyId));
      const missing = storyIds.filter((id) => !have.has(id));
      if (missing.length) {
        warnings.push({
          severity: 'warning',
          code: 'missing-story',
          file: f.input.display,
          pointer: prd.storyIds ? '/stories' : '',
          line: 1,
          column: 1,
          message: `The PRD covers ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not imported in this project.`,
          suggestion: 'Import those stories too; the PRD cannot be approved before they are.',
        });
      }
      if (storyIds.length === 0) {
        warnings.push({
          severity: 'warning',
          code: 'no-stories',
          file: f.input.display,
          pointer: '',
          line: 1,
          column: 1,
          message: 'The PRD covers no stories yet.',
          suggestion:
            'List them in the front matter (stories: [AUTH-001, …]) or import the story files together with the PRD.',
        });
      }
      await tx.stories.linkToPrd(opts.projectId, [...have], prd.id);
      const sameContent = existing?.contentHash === prd.contentHash;
      const sameStories =
        existing !== undefined && canonicalJson([...existing.storyIds].sort()) === canonicalJson([...storyIds].sort());
      if (existing && sameContent && sameStories) {
        if (existing.sourcePath !== f.input.path) await tx.prds.update(prd.id, { sourcePath: f.input.path });
        return {
          ...base,
          status: 'unchanged',
          errors: [],
          warnings,
          message: `Unchanged: PRD ${prd.id} is already imported with this exact text.`,
        };
      }
      const values = {
        projectId: opts.projectId,
        title: prd.title,
        sourcePath: f.input.path,
        content: text,
        contentHash: prd.contentHash,
        storyIds,
        updatedAt: now,
      };
      const voided: VoidedApproval[] = [];
      if (existing) {
        await tx.prds.update(prd.id, values);
        const reasons: string[] = [];
        if (!sameContent)
          reasons.push(
            `the PRD text changed (sha256 ${existing.contentHash.slice(0, 12)}… → ${prd.contentHash.slice(0, 12)}…, re-imported from ${f.input.display})`,
          );
        if (!sameStories) {
          const added = storyIds.filter((id) => !existing.storyIds.includes(id));
          const removed = existing.storyIds.filter((id) => !storyIds.includes(id));
          if (added.length) reasons.push(`stories added: ${added.join(', ')}`);
          if (removed.length) reasons.push(`stories removed: ${removed.join(', ')}`);
        }
        const reason = reasons.join('; ');
        if (await voidPrdDecision(tx, prd.id, reason, opts.actor, now)) voided.push({ prdId: prd.id, reason });
      } else {
        await tx.prds.insert({ id: prd.id, ...values, status: 'draft', createdAt: now });
      }
      await tx.audit.append({
        at: now,
        actor: opts.actor,
        action: existing ? 'prd.update' : 'prd.import',
        subjectType: 'prd',
        subjectId: prd.id,
        detail: {
          contentHash: prd.contentHash,
          previousHash: existing?.contentHash ?? null,
          storyIds,
          sourcePath: f.input.path,
        },
      });
      const voidNote = voided.length
        ? ` Its approval is now void: ${voided[0]!.reason}. Approve again after review.`
        : '';
      return {
        ...base,
        status: existing ? 'updated' : 'imported',
        errors: [],
        warnings,
        voided,
        message: `${existing ? 'Updated' : 'Imported'} PRD ${prd.id} covering ${storyIds.length} stor${storyIds.length === 1 ? 'y' : 'ies'}.${voidNote}`,
      };
    });
  }

  /** --prd: adds the imported stories to a PRD imported earlier (a change to what it covers). */
  private async linkToExistingPrd(
    prdId: string,
    ids: string[],
    opts: ImportOptions,
    results: ImportFileResult[],
  ): Promise<void> {
    const now = this.clock();
    const outcome = await this.repos.transaction(async (tx) => {
      const prd = await tx.prds.byId(prdId, { forUpdate: true });
      if (!prd)
        return {
          error: `No PRD "${prdId}" is imported, so the stories were imported without a PRD. Import the PRD, then re-run with --prd ${prdId}.`,
        };
      const added = ids.filter((id) => !prd.storyIds.includes(id));
      await tx.stories.linkToPrd(opts.projectId, ids, prdId);
      if (added.length === 0) return { added, voided: false };
      await tx.prds.update(prdId, { storyIds: [...prd.storyIds, ...added], updatedAt: now });
      const reason = `stories added: ${added.join(', ')}`;
      const voided = await voidPrdDecision(tx, prdId, reason, opts.actor, now);
      await tx.audit.append({
        at: now,
        actor: opts.actor,
        action: 'prd.link',
        subjectType: 'prd',
        subjectId: prdId,
        detail: { added },
      });
      return { added, voided, reason };
    });
    for (const res of results) {
      if (res.kind !== 'story' || !res.id || !ids.includes(res.id)) continue;
      if ('error' in outcome) {
        res.warnings.push({
          severity: 'warning',
          code: 'prd-not-found',
          file: res.file,
          pointer: '',
          line: 1,
          column: 1,
          message: outcome.error!,
          suggestion: `wave import <prd.md>, then wave import ${res.file} --prd ${prdId}`,
        });
      } else if (outcome.added.includes(res.id)) {
        res.message += ` Added to PRD ${prdId}.`;
        if (outcome.voided) {
          res.voided.push({ prdId, reason: outcome.reason! });
          res.message += ` The approval of ${prdId} is now void: approve again after review.`;
        }
      }
    }
  }
}

function skipped(report: FileReport, kind: 'story' | 'prd', message: string): ImportFileResult {
  return {
    file: report.file,
    kind,
    status: 'skipped',
    id: null,
    version: null,
    message,
    errors: [],
    warnings: report.warnings,
    voided: [],
  };
}
