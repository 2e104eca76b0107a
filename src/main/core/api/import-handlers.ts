import { mkdtemp, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImportFileResult } from '../../../shared/ipc';
import type { ImportFileResult as ServiceResult, StoryIssue } from '../../../shared/stories';
import type { EventHub } from '../rpc';
import { AppError } from '../rpc';
import { PrdService, StoryImporter, ensureProject } from '../prd';
import { MAX_STORY_FILE_BYTES, migrateStoryText } from '../stories';
import type { Store } from '../../store';
import { toPrdSummary } from './prd-handlers';
import type { DomainHandlers } from './types';

const MAX_FILES_PER_UPLOAD = 1000;
const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
const UPLOAD_TTL_MS = 30 * 60 * 1000;

interface StagedFile {
  chunks: string[];
  size: number;
  complete: boolean;
}
interface Upload {
  files: Map<string, StagedFile>;
  bytes: number;
  touched: number;
}

/** The real path (links resolved) of `p`, or of its nearest existing parent plus the rest. */
async function realPathOf(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    return await realpath(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(await realPathOf(parent), path.basename(abs));
  }
}

/** Refuses any path that is not the project folder or inside it (after resolving links). */
export async function assertInsideProject(paths: readonly string[], projectPath: string | null): Promise<void> {
  if (!projectPath) {
    throw new AppError(
      'precondition_failed',
      'No project is set. Open Settings and choose the git repository the agents will work on, then import again.',
    );
  }
  const root = await realPathOf(projectPath);
  for (const p of paths) {
    const real = await realPathOf(p);
    if (real !== root && !real.startsWith(root + path.sep)) {
      throw new AppError(
        'unauthorized',
        `"${p.slice(0, 200)}" is outside the project folder ${root}. From a browser, WAVE imports only files inside the project; drop other files on the page instead, or import them with "wave import".`,
      );
    }
  }
}

/** A dropped file's relative name, made safe to recreate under a temp dir. */
export function safeRelativeName(name: string): string {
  const parts = name
    .replace(/\\/g, '/')
    .split('/')
    .filter((p) => p && p !== '.' && p !== '..');
  if (parts.length === 0) throw new AppError('invalid_request', `"${name}" is not a usable file name.`);
  return parts.join('/');
}

function toProblem(i: StoryIssue) {
  return {
    pointer: i.pointer,
    line: i.line || null,
    column: i.column || null,
    message: i.message,
    suggestion: i.suggestion || null,
  };
}

export function toImportView(r: ServiceResult, migratedFrom?: string): ImportFileResult {
  const notes = r.voided.map((v) => `Approval of PRD ${v.prdId} is void: ${v.reason}`);
  if (migratedFrom) notes.unshift(`Migrated from ${migratedFrom} to 4.3 before import.`);
  if (r.status === 'skipped') notes.push(r.message);
  return {
    file: r.file,
    kind: r.kind,
    outcome: r.status === 'skipped' ? 'unchanged' : r.status,
    version: r.version,
    storyId: r.kind === 'story' ? r.id : null,
    errors: r.errors.map(toProblem),
    warnings: r.warnings.map(toProblem),
    notes: r.status === 'invalid' && r.errors.length === 0 ? [r.message, ...notes] : notes,
    migratable: r.kind === 'story' && (r.version === '4.1' || r.version === '4.2'),
  };
}

export function importHandlers(deps: {
  store: Store;
  hub: EventHub;
  projectPath: () => Promise<string | null>;
  actor: string;
}): DomainHandlers<'import'> {
  const uploads = new Map<string, Upload>();
  const prdService = new PrdService(deps.store);

  const sweep = () => {
    const now = Date.now();
    for (const [id, u] of uploads) if (now - u.touched > UPLOAD_TTL_MS) uploads.delete(id);
  };

  async function runImport(paths: string[], cwd: string, migrated: Map<string, string>): Promise<ImportFileResult[]> {
    const projectPath = await deps.projectPath();
    if (!projectPath) {
      throw new AppError(
        'precondition_failed',
        'No project is set. Open Settings and choose the git repository the agents will work on, then import again.',
      );
    }
    const project = await ensureProject(deps.store, projectPath);
    const report = await new StoryImporter(deps.store).importPaths(paths, {
      projectId: project.id,
      actor: deps.actor,
      cwd,
    });
    const touchedPrds = new Set<string>();
    for (const f of report.files) {
      if (f.kind === 'prd' && f.id && f.status !== 'invalid') touchedPrds.add(f.id);
      for (const v of f.voided) touchedPrds.add(v.prdId);
    }
    for (const id of touchedPrds) {
      const prd = await prdService.get(id);
      if (prd) deps.hub.publish('prd.changed', toPrdSummary(prd));
    }
    return report.files.map((f) => toImportView(f, migrated.get(f.file)));
  }

  return {
    'import.stage': (req) => {
      sweep();
      let upload = uploads.get(req.uploadId);
      if (!upload) {
        upload = { files: new Map(), bytes: 0, touched: Date.now() };
        uploads.set(req.uploadId, upload);
      }
      upload.touched = Date.now();
      const name = safeRelativeName(req.file);
      let file = upload.files.get(name);
      if (!file) {
        if (upload.files.size >= MAX_FILES_PER_UPLOAD)
          throw new AppError(
            'invalid_request',
            `One import takes at most ${MAX_FILES_PER_UPLOAD} files; split the drop into smaller batches.`,
          );
        file = { chunks: [], size: 0, complete: false };
        upload.files.set(name, file);
      }
      if (file.complete) throw new AppError('conflict', `${name} was already uploaded completely in this import.`);
      if (req.offset !== file.size)
        throw new AppError(
          'invalid_request',
          `Piece of ${name} arrived out of order (offset ${req.offset}, expected ${file.size}). Drop the file again.`,
        );
      const bytes = Buffer.byteLength(req.data);
      if (file.size + req.data.length > MAX_STORY_FILE_BYTES + 1) {
        throw new AppError(
          'payload_too_large',
          `${name} is over ${MAX_STORY_FILE_BYTES / (1024 * 1024)} MB; story and PRD files must be smaller. Split it.`,
        );
      }
      if (upload.bytes + bytes > MAX_UPLOAD_BYTES)
        throw new AppError(
          'payload_too_large',
          `This import is over ${MAX_UPLOAD_BYTES / (1024 * 1024)} MB; drop fewer files at once.`,
        );
      file.chunks.push(req.data);
      file.size += req.data.length;
      upload.bytes += bytes;
      file.complete = req.last;
      return { received: file.size };
    },
    'import.commit': async (req) => {
      const upload = uploads.get(req.uploadId);
      if (!upload || upload.files.size === 0)
        throw new AppError(
          'not_found',
          'Nothing was uploaded under this import (or it expired after 30 minutes). Drop the files again.',
        );
      uploads.delete(req.uploadId);
      const incomplete = [...upload.files].filter(([, f]) => !f.complete).map(([n]) => n);
      if (incomplete.length)
        throw new AppError(
          'invalid_request',
          `These files did not finish uploading: ${incomplete.join(', ')}. Drop them again.`,
        );
      const dir = await mkdtemp(path.join(os.tmpdir(), 'wave-import-'));
      const migrated = new Map<string, string>();
      try {
        for (const [name, f] of upload.files) {
          let text = f.chunks.join('');
          if (req.migrate && name.endsWith('.json')) {
            const m = migrateStoryText(text, name);
            if (m.changed && m.text !== null && m.from && m.from !== '4.3') {
              text = m.text;
              migrated.set(name, m.from);
            }
          }
          const full = path.join(dir, name);
          await mkdir(path.dirname(full), { recursive: true });
          await writeFile(full, text);
        }
        return { results: await runImport([dir], dir, migrated) };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    'import.paths': async (req, ctx) => {
      if (req.migrate) {
        throw new AppError(
          'invalid_request',
          'Migration on import works for dropped files; for files on disk run "wave validate --migrate <paths>" and import the .v43.json files.',
        );
      }
      // The desktop window sends paths the lead dropped or picked there. A browser on `wave serve`
      // holds only a token: it may read nothing outside the project's own folder.
      if (ctx.transport === 'websocket') await assertInsideProject(req.paths, await deps.projectPath());
      return {
        results: await runImport(
          req.paths.map((p) => path.resolve(p)),
          path.dirname(path.resolve(req.paths[0]!)),
          new Map(),
        ),
      };
    },
  };
}
